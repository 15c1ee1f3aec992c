//! The types crate's own tests: the checked-in JSON Schemas, round trips, and files written by
//! older tribench versions still loading.

mod formats;
mod schema;
