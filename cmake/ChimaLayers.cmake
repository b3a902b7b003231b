# The layers of libchima: which areas each area may include (#include "chima/<area>/...").
# An area is a folder common/src/<area> with its headers in common/include/chima/<area>; the
# files at the top of both folders are `base` (chima/tool.hpp and tool.cpp are `tool`), the
# BPF ABI headers (bpf/include/chima/*.h) are `abi`. Every area may use `base` and `abi`.
# `tools` is the binaries in tools/: they may use every area (and link what they include).
# The build fails on an include this table does not allow (cmake/check_layers.cmake), and
# on a table with a loop. docs/architecture.md describes the layers.
#
# One entry per area, "<area>: <areas it may use>", lowest first.
set(CHIMA_LAYERS
  "base:"
  "abi:"
  "process:"
  "yaml:"
  "tool:"
  "model: yaml"
  "p4: process"
  "bpf: p4"
  "net: process"
  "container: process"
  "compose: model"
  "emulation: model compose bpf net container process"
  "device: model p4 bpf net container emulation process"
  "deploy: remote device model compose p4 net container process"
  "collector: device model bpf net"
  "watch: model"
  "relocate: deploy device model compose container"
  "p4rt: p4 bpf device model"
  "remote: p4rt device model p4 bpf container process"
  "agent: remote p4rt device bpf net container model emulation process"
  "tools: *")
