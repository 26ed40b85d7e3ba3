#![allow(unused)]
//! Inner docs.
/// Outer docs.
#[derive(Debug, Clone)]
#[cfg_attr(test, derive(PartialEq))]
struct P {
    /// field doc
    x: f64,
    #[allow(dead_code)]
    pub(crate) y: Vec<(u8, u8)>,
}
/** block doc */
fn g() {}
/// not an item
let x = 1;
mod m {
    //! module docs
    fn a() {}
    macro_rules! inner { () => {} }
}
