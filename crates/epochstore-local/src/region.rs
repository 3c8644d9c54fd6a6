//! One emulated region: the library's `App` (all three routes) on its own
//! port, with a `STATUS` that the failover drill flips at run time.

use std::sync::{Arc, PoisonError, RwLock};

use epochstore::config::Config;
use epochstore::env::Env;
use epochstore::health_switch::HealthSwitch;
use epochstore::http::{App, Route};
use epochstore::store::{create_table_if_missing, MemoryStore, Store};

use crate::replication;
use crate::settings::{Settings, SettingsError};

pub struct Region {
    pub name: String,
    pub port: u16,
    /// The App is a plain value: a status change swaps in a new one that
    /// shares the store. Requests in flight keep the App they started with.
    app: RwLock<Arc<App>>,
}

impl Region {
    pub fn new(port: u16, app: App) -> Self {
        Self {
            name: app.region.clone(),
            port,
            app: RwLock::new(Arc::new(app)),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn app(&self) -> Arc<App> {
        Arc::clone(&self.app.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn health_switch(&self) -> HealthSwitch {
        self.app().health_switch
    }

    /// Sets the region's `STATUS`, as `make failover`/`make recover` do with
    /// the Lambda environment of a deployed region.
    pub fn set_health_switch(&self, switch: HealthSwitch) {
        let mut app = self.app.write().unwrap_or_else(PoisonError::into_inner);
        if app.health_switch == switch {
            return;
        }
        let mut next = App::clone(&app);
        next.health_switch = switch;
        *app = Arc::new(next);
        drop(app);
        tracing::warn!(region = %self.name, status = %switch, "region STATUS changed");
    }
}

/// Builds every region with its store: one shared store by default, one
/// replica per region with `REPLICATION_LAG_MS`, or one DynamoDB table.
pub async fn build(settings: &Settings, env: &Env) -> Result<Vec<Arc<Region>>, SettingsError> {
    let configs = settings
        .regions
        .iter()
        .map(|region| region_config(settings, env, region))
        .collect::<Result<Vec<_>, _>>()?;
    let stores: Vec<Arc<dyn Store>> = match (&settings.dynamodb_endpoint, settings.replication_lag)
    {
        (Some(endpoint), _) => {
            let store = dynamodb_store(&configs[0], endpoint).await?;
            configs.iter().map(|_| Arc::clone(&store)).collect()
        }
        (None, Some(lag)) => {
            let store_settings = configs[0].store_settings();
            replication::replicas(
                &settings.regions,
                || MemoryStore::new(store_settings.clone()),
                lag,
                settings.consistency,
            )
            .into_iter()
            .map(|store| Arc::new(store) as Arc<dyn Store>)
            .collect()
        }
        (None, None) => {
            let store: Arc<dyn Store> = Arc::new(MemoryStore::new(configs[0].store_settings()));
            configs.iter().map(|_| Arc::clone(&store)).collect()
        }
    };
    Ok(configs
        .iter()
        .zip(stores)
        .enumerate()
        .map(|(i, (config, store))| {
            let app = App::new(config, store, Route::ALL.to_vec());
            Arc::new(Region::new(settings.region_port(i), app))
        })
        .collect())
}

/// The library's configuration for one region: the process environment with
/// that region's `AWS_REGION`, the table name and `STATUS=ok`.
fn region_config(settings: &Settings, env: &Env, region: &str) -> Result<Config, SettingsError> {
    let mut vars = env.clone();
    vars.set(Config::DEFAULT_REGION_VAR, region);
    vars.set("TABLE_NAME", &settings.table_name);
    vars.set(HealthSwitch::VAR, HealthSwitch::Ok.as_str());
    Config::from_vars(&vars).map_err(|err| SettingsError(err.to_string()))
}

/// One DynamoDB client for every region: a local endpoint (moto, DynamoDB
/// Local) keeps tables per SDK region, so sharing one client is what makes
/// the regions see one table, as a global table would.
async fn dynamodb_store(config: &Config, endpoint: &str) -> Result<Arc<dyn Store>, SettingsError> {
    let (client, store) = epochstore::lambda::dynamo_store(config)
        .await
        .map_err(|err| SettingsError(err.to_string()))?;
    create_table_if_missing(&client, &config.table_name)
        .await
        .map_err(|err| {
            SettingsError(format!(
                "could not use DynamoDB table {} at {endpoint}: {err}",
                config.table_name
            ))
        })?;
    Ok(Arc::new(store))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn status_changes_keep_the_store() {
        let settings = Settings::from_vars(&Env::default()).unwrap();
        let regions = build(&settings, &Env::default()).await.unwrap();
        assert_eq!(regions.len(), 2);
        let before = regions[1].app();
        regions[1].set_health_switch(HealthSwitch::Fail);
        let after = regions[1].app();
        assert_eq!(after.health_switch, HealthSwitch::Fail);
        assert_eq!(before.health_switch, HealthSwitch::Ok);
        assert!(Arc::ptr_eq(&before.store, &after.store));
        // The default mode shares one store between regions.
        assert!(Arc::ptr_eq(&regions[0].app().store, &after.store));
        assert_eq!(regions[0].health_switch(), HealthSwitch::Ok);
        assert_eq!(after.region, "eu-west-3");
    }

    /// Whether a record written in the first region is listed by the second
    /// as soon as the write is acknowledged.
    async fn visible_elsewhere_on_acknowledgement(vars: &[(&str, &str)]) -> bool {
        let env = Env::from_pairs(vars);
        let settings = Settings::from_vars(&env).unwrap();
        let regions = build(&settings, &env).await.unwrap();
        let record = epochstore::domain::Record::new(chrono::Utc::now(), "eu-central-1");
        regions[0]
            .app()
            .store
            .put(record.clone(), None)
            .await
            .unwrap();
        let limit = epochstore::domain::PageLimit::parse("10").unwrap();
        let page = regions[1].app().store.list(limit, None).await.unwrap();
        page.items.contains(&record)
    }

    #[tokio::test]
    async fn strong_consistency_acknowledges_a_write_once_every_region_has_it() {
        let lag = [("REPLICATION_LAG_MS", "200")];
        assert!(!visible_elsewhere_on_acknowledgement(&lag).await);
        assert!(
            !visible_elsewhere_on_acknowledgement(&[lag[0], ("CONSISTENCY", "eventual")]).await
        );
        assert!(visible_elsewhere_on_acknowledgement(&[lag[0], ("CONSISTENCY", "strong")]).await);
        // Without a lag the regions share one store: strong either way.
        assert!(visible_elsewhere_on_acknowledgement(&[]).await);
        assert!(visible_elsewhere_on_acknowledgement(&[("CONSISTENCY", "strong")]).await);
    }
}
