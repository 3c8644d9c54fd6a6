//! The emulated deployment as the front door and the control endpoint see
//! it: the regions, their health checks, and how many responses each region
//! gave through the front door (what a drill's client observed, counted on
//! the server side).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::health::RegionHealth;
use crate::region::Region;
use crate::settings::Settings;

pub struct Deployment {
    pub settings: Settings,
    pub regions: Vec<Arc<Region>>,
    pub health: Vec<Arc<RegionHealth>>,
    responses: Vec<AtomicU64>,
}

impl Deployment {
    /// `regions` and `health` in the same order, one check per region.
    pub fn new(
        settings: Settings,
        regions: Vec<Arc<Region>>,
        health: Vec<Arc<RegionHealth>>,
    ) -> Self {
        let responses = regions.iter().map(|_| AtomicU64::new(0)).collect();
        Self {
            settings,
            regions,
            health,
            responses,
        }
    }

    pub fn front_door_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.settings.port)
    }

    /// Region `index` answered a request proxied by the front door.
    pub fn count_response(&self, index: usize) {
        if let Some(count) = self.responses.get(index) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Responses region `index` gave through the front door so far.
    pub fn responses(&self, index: usize) -> u64 {
        self.responses
            .get(index)
            .map_or(0, |count| count.load(Ordering::Relaxed))
    }
}
