// expect: E0310 1:1
const bit<8> X = 1;
