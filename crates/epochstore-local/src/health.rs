//! Route53-style health checks: a prober per region calls its `/health`
//! every interval; the region turns unhealthy after `threshold` consecutive
//! failed probes and healthy again after `threshold` consecutive successes.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use tokio::sync::watch;

use crate::serve::stopped;
use crate::upstream::HttpClient;

/// Route53 counts a probe as healthy when it gets a 2xx or 3xx status within
/// its timeout (4 s for HTTP checks).
const ROUTE53_PROBE_TIMEOUT: Duration = Duration::from_secs(4);

/// The state machine of one health check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthCheck {
    threshold: u32,
    healthy: bool,
    failures: u32,
    successes: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    TurnedHealthy,
    TurnedUnhealthy,
}

impl HealthCheck {
    /// A new check starts healthy, as a freshly created Route53 check does
    /// until its first failures, so traffic flows from the start.
    pub fn new(threshold: u32) -> Self {
        Self {
            threshold: threshold.max(1),
            healthy: true,
            failures: 0,
            successes: 0,
        }
    }

    pub fn healthy(&self) -> bool {
        self.healthy
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }

    pub fn consecutive_successes(&self) -> u32 {
        self.successes
    }

    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// Records one probe result; returns the transition it caused, if any.
    pub fn observe(&mut self, ok: bool) -> Option<Transition> {
        if ok {
            self.successes = self.successes.saturating_add(1);
            self.failures = 0;
            if !self.healthy && self.successes >= self.threshold {
                self.healthy = true;
                return Some(Transition::TurnedHealthy);
            }
        } else {
            self.failures = self.failures.saturating_add(1);
            self.successes = 0;
            if self.healthy && self.failures >= self.threshold {
                self.healthy = false;
                return Some(Transition::TurnedUnhealthy);
            }
        }
        None
    }
}

/// One region's check, shared by its prober and the front door.
pub struct RegionHealth {
    check: Mutex<HealthCheck>,
}

impl RegionHealth {
    pub fn new(threshold: u32) -> Self {
        Self {
            check: Mutex::new(HealthCheck::new(threshold)),
        }
    }

    pub fn snapshot(&self) -> HealthCheck {
        *self.check.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn healthy(&self) -> bool {
        self.snapshot().healthy()
    }

    fn observe(&self, ok: bool) -> (Option<Transition>, HealthCheck) {
        let mut check = self.check.lock().unwrap_or_else(PoisonError::into_inner);
        let transition = check.observe(ok);
        (transition, *check)
    }
}

/// Probes `url/health` every `interval` until `shutdown`, logging every
/// health decision as JSON.
pub async fn probe_loop(
    region: String,
    url: String,
    health: std::sync::Arc<RegionHealth>,
    client: HttpClient,
    interval: Duration,
    shutdown: watch::Receiver<bool>,
) {
    // Route53 waits up to 4 s whatever the interval; locally at least a
    // second, so that a short interval on a busy machine does not turn a
    // slow answer into a failure.
    let timeout = interval.clamp(Duration::from_secs(1), ROUTE53_PROBE_TIMEOUT);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stop = stopped(shutdown);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = &mut stop => break,
        }
        let outcome = probe(&client, &url, timeout).await;
        let ok = outcome.is_ok();
        let (transition, check) = health.observe(ok);
        let failures = check.consecutive_failures();
        let successes = check.consecutive_successes();
        let threshold = check.threshold();
        let detail = match &outcome {
            Ok(status) | Err(ProbeError::Status(status)) => status.to_string(),
            Err(other) => other.to_string(),
        };
        match transition {
            Some(Transition::TurnedUnhealthy) => tracing::warn!(
                region = %region, healthy = false, consecutive_failures = failures, threshold,
                last_probe = %detail, "region turned unhealthy: the front door stops routing to it"
            ),
            Some(Transition::TurnedHealthy) => tracing::info!(
                region = %region, healthy = true, consecutive_successes = successes, threshold,
                last_probe = %detail, "region turned healthy: the front door routes to it again"
            ),
            None if !ok && check.healthy() => tracing::info!(
                region = %region, healthy = true, consecutive_failures = failures, threshold,
                last_probe = %detail, "health probe failed; region still healthy"
            ),
            None if ok && !check.healthy() => tracing::info!(
                region = %region, healthy = false, consecutive_successes = successes, threshold,
                last_probe = %detail, "health probe passed; region still unhealthy"
            ),
            None => {
                tracing::trace!(region = %region, healthy = check.healthy(), last_probe = %detail, "health probe")
            }
        }
    }
}

#[derive(Debug)]
enum ProbeError {
    Status(u16),
    Timeout,
    Request(String),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status(status) => write!(f, "{status}"),
            Self::Timeout => f.write_str("timeout"),
            Self::Request(err) => write!(f, "error: {err}"),
        }
    }
}

/// One probe: `Ok(status)` for a 2xx or 3xx answer within `timeout`.
async fn probe(client: &HttpClient, url: &str, timeout: Duration) -> Result<u16, ProbeError> {
    let request = hyper::Request::get(format!("{url}/health"))
        .header("user-agent", "epochstore-local-health-check")
        .body(Full::new(Bytes::new()))
        .map_err(|err| ProbeError::Request(err.to_string()))?;
    let attempt = async {
        let response = client
            .request(request)
            .await
            .map_err(|err| ProbeError::Request(err.to_string()))?;
        let status = response.status();
        // Read the body so the connection goes back to the pool.
        let _ = response.into_body().collect().await;
        Ok::<_, ProbeError>(status)
    };
    let status = tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| ProbeError::Timeout)??;
    if status.is_success() || status.is_redirection() {
        Ok(status.as_u16())
    } else {
        Err(ProbeError::Status(status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_unhealthy_after_threshold_consecutive_failures() {
        let mut check = HealthCheck::new(3);
        assert!(check.healthy());
        assert_eq!(check.observe(false), None);
        assert_eq!(check.observe(false), None);
        assert!(check.healthy());
        assert_eq!(check.observe(false), Some(Transition::TurnedUnhealthy));
        assert!(!check.healthy());
        // Further failures change nothing.
        assert_eq!(check.observe(false), None);
        assert_eq!(check.consecutive_failures(), 4);
    }

    #[test]
    fn a_success_resets_the_failure_count() {
        let mut check = HealthCheck::new(3);
        check.observe(false);
        check.observe(false);
        check.observe(true);
        check.observe(false);
        check.observe(false);
        assert!(check.healthy(), "failures were not consecutive");
        assert_eq!(check.observe(false), Some(Transition::TurnedUnhealthy));
    }

    #[test]
    fn turns_healthy_again_after_threshold_consecutive_successes() {
        let mut check = HealthCheck::new(2);
        check.observe(false);
        check.observe(false);
        assert!(!check.healthy());
        assert_eq!(check.observe(true), None);
        assert_eq!(check.observe(false), None);
        assert_eq!(check.observe(true), None);
        assert!(!check.healthy());
        assert_eq!(check.observe(true), Some(Transition::TurnedHealthy));
        assert!(check.healthy());
        assert_eq!(check.consecutive_successes(), 2);
    }

    #[test]
    fn a_threshold_of_one_flips_on_each_change() {
        let mut check = HealthCheck::new(1);
        assert_eq!(check.observe(false), Some(Transition::TurnedUnhealthy));
        assert_eq!(check.observe(true), Some(Transition::TurnedHealthy));
    }
}
