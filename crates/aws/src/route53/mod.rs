//! Route 53, all of it in one place: the public zone's records, health
//! checks and (with `manageZone`) the zone itself (`public`), and each
//! region's private zone with the database's name (`private`).

pub mod private;
pub mod public;
