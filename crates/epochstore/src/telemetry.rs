//! Logging: one JSON object per line, as Lambda's JSON log format expects.

use lambda_http::Context;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the JSON subscriber on stdout. The level comes from
/// `AWS_LAMBDA_LOG_LEVEL` (set by Lambda's logging configuration) or
/// `RUST_LOG`, `info` by default. Calling it twice is harmless.
pub fn init() {
    let level = ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .find_map(|name| std::env::var(name).ok()?.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let _ = tracing::subscriber::set_global_default(json_subscriber(level, std::io::stdout));
}

/// The production log format: flattened JSON events carrying the current
/// span's fields (request id, region). Public so the benchmark measures
/// exactly what Lambda runs.
pub fn json_subscriber<W>(level: LevelFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .with_max_level(level)
        .with_writer(writer)
        .finish()
}

/// The X-Ray trace id of an invocation (`1-5759e988-bd862e3fe1be46a994272793`):
/// the `Root` of the trace header Lambda hands the runtime with each event,
/// the id the X-Ray and CloudWatch consoles show and search by (`Parent` and
/// `Sampled` change from hop to hop). Read from the invocation's own context
/// rather than `_X_AMZN_TRACE_ID`, one process-wide variable the runtime
/// rewrites for each invocation. `None` without a trace header: no id is
/// made up.
pub fn trace_id(context: &Context) -> Option<&str> {
    context
        .xray_trace_id
        .as_deref()?
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Root="))
        .filter(|root| !root.is_empty())
}
