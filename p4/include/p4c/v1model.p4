/* For p4c only (chima-compile passes -I p4/include/p4c): p4lang's v1model.p4, found next on
 * p4c's include path, then the CHIMA function types, so a merged program (p4/chima.p4 and its
 * functions) compiles with p4c exactly as with chima-compile's front end, which reads
 * p4/include/v1model.p4 instead. */
#include_next <v1model.p4>
#include "../chima_types.p4"
