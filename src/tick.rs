//! The schedule tick: discover → usage → metrics → report. This build validates the
//! monitor the tick carries; computing and publishing usage comes with the usage engine.

use serde_json::Value;

use crate::Error;
use crate::event::Tick;
use crate::spec;

pub async fn run(tick: &Tick) -> Result<Value, Error> {
    spec::parse(&tick.monitor)?;
    Err(Error::NotImplemented("the schedule tick (usage metrics)"))
}
