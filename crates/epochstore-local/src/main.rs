//! `epochstore-local` (`make run`): the deployment on a laptop. Every region
//! of the Terraform's default list serves the library's handlers on its own
//! loopback port, over one shared store (in memory, or DynamoDB at
//! `AWS_ENDPOINT_URL_DYNAMODB`) or per-region replicas with
//! `REPLICATION_LAG_MS`; a front door routes like Route53 weighted records
//! with health checks; `/_local/regions/{region}/status` runs the failover
//! drill.
//!
//! Environment: `PORT` (3000; regions on PORT+1, PORT+2, ...), `REGIONS`
//! (`eu-central-1,eu-west-3`), `TABLE_NAME` (`epochstore`),
//! `AWS_ENDPOINT_URL_DYNAMODB`, `REPLICATION_LAG_MS`, `CONSISTENCY`
//! (`eventual` or `strong`), `PROBE_INTERVAL_MS`
//! (1000), `FAILURE_THRESHOLD` (3), and the library's own variables.

mod control;
mod deployment;
mod front_door;
mod health;
mod region;
mod region_server;
mod replication;
mod request_id;
mod responses;
mod routing;
mod serve;
mod settings;
mod upstream;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use epochstore::env::{Choice, Env};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::deployment::Deployment;
use crate::front_door::FrontDoor;
use crate::health::RegionHealth;
use crate::region::Region;
use crate::settings::{Settings, SettingsError};

/// How long requests in flight get to finish after Ctrl-C.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    epochstore::telemetry::init();
    let env = Env::from_process();
    let settings = match Settings::from_vars(&env) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    if settings.dynamodb_endpoint.is_some() {
        // Local endpoints (moto, DynamoDB Local) do not check credentials,
        // but the SDK will not sign a request without some. Set before any
        // thread starts.
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            if matches!(env.optional(name), Ok(None)) {
                std::env::set_var(name, "local");
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("epochstore-local: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(settings, env)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings, env: Env) -> Result<(), SettingsError> {
    let regions = region::build(&settings, &env).await?;
    // Bind everything first: a port in use is reported before anything runs.
    let front_listener = bind(settings.port, "the front door").await?;
    let mut region_listeners = Vec::with_capacity(regions.len());
    for region in &regions {
        region_listeners.push(bind(region.port, &format!("region {}", region.name)).await?);
    }

    let (stop_regions, regions_stopped) = watch::channel(false);
    let (stop_front, front_stopped) = watch::channel(false);

    let mut region_servers = JoinSet::new();
    for (region, listener) in regions.iter().zip(region_listeners) {
        let region = Arc::clone(region);
        let name = format!("region {}", region.name);
        let handler = move |request| region_server::handle(Arc::clone(&region), request);
        region_servers.spawn(serve::serve(
            name,
            listener,
            handler,
            regions_stopped.clone(),
            DRAIN_TIMEOUT,
        ));
    }

    let client = upstream::client();
    let health: Vec<Arc<RegionHealth>> = regions
        .iter()
        .map(|_| Arc::new(RegionHealth::new(settings.failure_threshold)))
        .collect();
    let mut front = JoinSet::new();
    for (region, health) in regions.iter().zip(&health) {
        tracing::info!(region = %region.name, healthy = true, threshold = settings.failure_threshold, probe_interval_ms = settings.probe_interval.as_millis() as u64, "health check started");
        front.spawn(health::probe_loop(
            region.name.clone(),
            region.url(),
            Arc::clone(health),
            client.clone(),
            settings.probe_interval,
            front_stopped.clone(),
        ));
    }
    let deployment = Arc::new(Deployment::new(settings.clone(), regions.clone(), health));
    let front_url = deployment.front_door_url();
    let door = Arc::new(FrontDoor::new(deployment, client));
    front.spawn(serve::serve(
        "front door".into(),
        front_listener,
        move |request| Arc::clone(&door).handle(request),
        front_stopped,
        DRAIN_TIMEOUT,
    ));

    print_banner(&settings, &front_url, &regions);
    tracing::info!(front_door = %front_url, regions = settings.regions.len(), store = %settings.store_mode(), consistency = settings.consistency.name(), "epochstore-local started");

    let signal = wait_for_signal().await;
    tracing::info!(signal, "stopping");
    // The front door first, so that no new request reaches a region that is
    // already closing; then the regions.
    let _ = stop_front.send(true);
    while front.join_next().await.is_some() {}
    let _ = stop_regions.send(true);
    while region_servers.join_next().await.is_some() {}
    tracing::info!("stopped cleanly");
    Ok(())
}

async fn bind(port: u16, what: &str) -> Result<TcpListener, SettingsError> {
    TcpListener::bind(("127.0.0.1", port)).await.map_err(|err| {
        SettingsError(format!(
            "cannot listen on 127.0.0.1:{port} for {what}: {err} (set PORT to another base: \
             the front door uses PORT and the regions PORT+1, PORT+2, ...)"
        ))
    })
}

/// Ctrl-C (SIGINT) or SIGTERM.
async fn wait_for_signal() -> &'static str {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        result = tokio::signal::ctrl_c() => {
            if let Err(err) = result {
                tracing::warn!(error = %err, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
            "SIGINT"
        }
        () = terminate => "SIGTERM",
    }
}

fn print_banner(settings: &Settings, front: &str, regions: &[Arc<Region>]) {
    let mut text = String::new();
    text.push_str("\nepochstore-local: the multi-region API on this machine\n\n");
    text.push_str(&format!(
        "  front door  {front}   (Route53-style: equal weights, health checks every {} ms, threshold {})\n",
        settings.probe_interval.as_millis(),
        settings.failure_threshold
    ));
    for region in regions {
        text.push_str(&format!(
            "  region      {}   {}\n",
            region.url(),
            region.name
        ));
    }
    text.push_str(&format!("  store       {}\n\n", settings.store_mode()));
    text.push_str("Try:\n");
    text.push_str(&format!("  curl -X POST {front}/storeEpochTime\n"));
    text.push_str(&format!("  curl '{front}/getEpochStore?limit=10'\n"));
    text.push_str(&format!("  curl -i {front}/health\n"));
    text.push_str(&format!("  open {front}/getEpochStore in a browser\n"));
    if let Some(region) = regions.last() {
        text.push_str(&format!(
            "  curl -X POST --data fail {front}/_local/regions/{}/status   # failover drill (make local-failover); --data ok to recover\n",
            region.name
        ));
    }
    text.push_str(&format!("  curl {front}/_local/regions\n"));
    text.push_str("Ctrl-C stops everything.\n");
    eprintln!("{text}");
}
