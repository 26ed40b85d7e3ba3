impl<T: Clone> W<T> where T: Copy { fn get(&self) -> T { self.0 } const K: u8 = 1; }
impl<T> Tr for Vec<T> where for<'a> &'a T: Copy { fn t(&self) {} }
impl<F> Q<F> where F: for<'a> Fn(&'a u8) { fn q(&self) {} }
unsafe impl Send for P {}
extern "C" { fn abs(x: i32) -> i32; static errno: i32; }
unsafe extern "C" { safe fn sf(); }
fn ff<const N: usize>() -> Foo<{ N + 1 }> { Foo }
use a::{b, c::{d, e as f}, self, *};
extern crate core as kore;
