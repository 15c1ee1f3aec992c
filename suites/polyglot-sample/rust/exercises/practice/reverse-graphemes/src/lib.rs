pub fn reverse(input: &str) -> String {
    todo!("reverse {input:?} by grapheme clusters")
}
