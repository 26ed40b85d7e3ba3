fn f() {
  let s = "abc;
}
