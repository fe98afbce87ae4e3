//! Approximate location from a MaxMind-format City database (GeoLite2, GeoIP2, DB-IP Lite). Off unless a database
//! is configured. Lookups run in a background worker after the sign-in has answered and back-fill the row and its
//! event, so a slow or broken database never delays anyone.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use maxminddb::{geoip2, Reader};
use tokio::sync::mpsc;

use super::store::Place;
use super::Sessions;

/// Jobs waiting for the worker; when it is full, new lookups are dropped (a missing location, never a delay).
const QUEUE: usize = 1024;
/// How often the worker checks whether the database file was replaced.
const RELOAD_CHECK: Duration = Duration::from_secs(30);

/// A City database, reloaded when its file changes.
pub struct Geo {
    path: PathBuf,
    language: String,
    precision: u32,
    current: RwLock<Loaded>,
    /// Addresses asked about and database searches made, for tests (feature `fault-injection`).
    #[cfg(feature = "fault-injection")]
    counts: [std::sync::atomic::AtomicU64; 2],
}

/// The database in memory and the modification time of the file it came from.
type Loaded = (Arc<Reader<Vec<u8>>>, Option<SystemTime>);

impl std::fmt::Debug for Geo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geo").field("path", &self.path).field("language", &self.language).finish()
    }
}

impl Geo {
    /// Opens the database now, so a wrong path is a start-up error. Names are taken in `language` (falling back
    /// to English); coordinates are rounded to `precision` decimals (2 ≈ 1 km).
    ///
    /// The file is read into memory rather than memory-mapped: replacing a mapped file under a running reader is
    /// undefined behaviour, and reading a 30 MB database takes about 25 ms.
    pub fn open(path: impl AsRef<Path>, language: &str, precision: u32) -> Result<Self, String> {
        let path = path.as_ref().to_path_buf();
        let (reader, modified) = read(&path)?;
        Ok(Self {
            path,
            language: language.to_owned(),
            precision: precision.min(6),
            current: RwLock::new((Arc::new(reader), modified)),
            #[cfg(feature = "fault-injection")]
            counts: Default::default(),
        })
    }

    /// How many addresses [`Geo::lookup`] was asked about, and how many of them it searched the database for
    /// (feature `fault-injection`; tests count lookups with it).
    #[cfg(feature = "fault-injection")]
    pub fn lookups(&self) -> (u64, u64) {
        let [asked, searched] = &self.counts;
        (asked.load(std::sync::atomic::Ordering::SeqCst), searched.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// Where `ip` probably is; `None` for private, loopback and unknown addresses.
    pub fn lookup(&self, ip: IpAddr) -> Option<Place> {
        self.lookup_in(ip, &self.language)
    }

    /// The language the stored place names are in.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// [`Geo::lookup`] with names in `language` (`es`, `de`, `fr`, `ja`, `pt-BR`, `ru`, `zh-CN`; English where the
    /// database has no name in it), for showing a stored place in the reader's language.
    pub fn lookup_in(&self, ip: IpAddr, language: &str) -> Option<Place> {
        #[cfg(feature = "fault-injection")]
        self.counts[0].fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let ip = ip.to_canonical();
        if !super::ip::is_public(ip) {
            return None;
        }
        #[cfg(feature = "fault-injection")]
        self.counts[1].fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let reader = self.current.read().ok()?.0.clone();
        let found = reader.lookup(ip).ok()?;
        let city: geoip2::City<'_> = found.decode().ok()??;
        let name = |names: &geoip2::Names<'_>| {
            let local = match language {
                "es" => names.spanish,
                "de" => names.german,
                "fr" => names.french,
                "ja" => names.japanese,
                "pt-BR" => names.brazilian_portuguese,
                "ru" => names.russian,
                "zh-CN" => names.simplified_chinese,
                _ => None,
            };
            local.or(names.english).map(str::to_owned)
        };
        let round = |v: f64| {
            let f = 10f64.powi(self.precision as i32);
            (v * f).round() / f
        };
        let place = Place {
            country_code: city.country.iso_code.map(str::to_owned),
            country_name: name(&city.country.names),
            region: city.subdivisions.first().and_then(|s| name(&s.names)),
            city: name(&city.city.names),
            latitude: city.location.latitude.map(round),
            longitude: city.location.longitude.map(round),
        };
        (place.country_code.is_some() || place.city.is_some()).then_some(place)
    }

    /// Re-reads the database if its file changed since it was loaded. Returns whether it did.
    pub fn reload_if_changed(&self) -> bool {
        let modified = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        let unchanged = self.current.read().map(|c| c.1 == modified).unwrap_or(true);
        if unchanged || modified.is_none() {
            return false;
        }
        match read(&self.path) {
            Ok((reader, modified)) => {
                if let Ok(mut current) = self.current.write() {
                    *current = (Arc::new(reader), modified);
                }
                tracing::info!(path = %self.path.display(), "reloaded the geolocation database");
                true
            }
            Err(err) => {
                // A half-written file is common while an updater copies; keep the old one and retry later.
                tracing::warn!(error = %err, "could not reload the geolocation database; keeping the old one");
                false
            }
        }
    }
}

fn read(path: &Path) -> Result<(Reader<Vec<u8>>, Option<SystemTime>), String> {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let reader = Reader::open_readfile(path).map_err(|e| format!("geolocation database {}: {e}", path.display()))?;
    Ok((reader, modified))
}

/// What the worker fills in: the row and/or the event recorded for one address.
#[derive(Debug)]
pub(crate) struct Job {
    pub ip: IpAddr,
    pub session_id: Option<String>,
    pub event_id: Option<String>,
    /// Whose row or event it is: their open pages show the place once it is known.
    pub user_id: Option<String>,
}

pub(crate) type Queue = mpsc::Sender<Job>;

impl Sessions {
    /// The configured geolocation database's [`Geo::lookups`]: (addresses asked about, database searches).
    #[cfg(feature = "fault-injection")]
    pub fn geo_lookups(&self) -> (u64, u64) {
        self.config().geo.as_ref().map_or((0, 0), |geo| geo.lookups())
    }

    /// Starts the back-fill worker when a database is configured and a Tokio runtime is running.
    pub(crate) fn start_geo_worker(&self) -> Option<Queue> {
        let geo = self.config().geo.clone()?;
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
        let sessions = self.clone();
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(RELOAD_CHECK);
            loop {
                tokio::select! {
                    job = rx.recv() => {
                        let Some(job) = job else { break };
                        let place = sessions.isolate("geolocation", || geo.lookup(job.ip)).flatten();
                        if let Some(place) = place {
                            let write = sessions.trail().set_place(job.session_id.as_deref(), job.event_id.as_deref(), &place);
                            let written = sessions.isolate_async("geolocation_backfill", write).await;
                            if let (Some(()), Some(user)) = (written, &job.user_id) {
                                sessions.live_changed(user, job.event_id.is_some());
                            }
                        }
                    }
                    _ = tick.tick() => { geo.reload_if_changed(); }
                }
            }
        });
        Some(tx)
    }

    /// Queues a lookup; never waits. Private and loopback addresses are skipped.
    pub(crate) fn locate_later(
        &self,
        ip: Option<IpAddr>,
        user_id: Option<&str>,
        session_id: Option<&str>,
        event_id: Option<&str>,
    ) {
        let (Some(queue), Some(ip)) = (self.geo_queue(), ip) else { return };
        if !super::ip::is_public(ip) {
            return;
        }
        let job = Job {
            ip,
            session_id: session_id.map(str::to_owned),
            event_id: event_id.map(str::to_owned),
            user_id: user_id.map(str::to_owned),
        };
        if queue.try_send(job).is_err() {
            tracing::warn!("geolocation queue full; this sign-in gets no location");
        }
    }
}
