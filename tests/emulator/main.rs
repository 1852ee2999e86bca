//! Tier 4: the real AWS SDK against the local emulator (moto server).

mod access;
mod adopt;
mod consistency;
mod console;
mod demo;
mod edge;
mod existing;
mod failover;
mod fleet;
mod operator;
mod permissions;
mod region_pair;
mod smoke;
mod stack;
mod support;
mod sweep;
mod throttling;
mod timed;
