//! meshctl: the mesh command line.
fn main() {}
