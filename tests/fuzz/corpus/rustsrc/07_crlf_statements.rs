const { 1 };
unsafe { f() };
let a = async move { 1 };
static || 3;
if a { 1 } else { 2 }
match a { _ => {} }
fn f() {}
