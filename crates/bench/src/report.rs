//! Figures of one scenario (latency percentiles from every sample, sorted) and the server's
//! memory as the kernel reports it, printed as a table or as JSON.

use serde_json::{json, Value};
use std::time::Duration;

/// The outcome of one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    pub name: &'static str,
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latency of every request in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    pub memory: Option<Memory>,
    /// CPU time the server used during the scenario (all threads, user + system).
    pub server_cpu_s: Option<f64>,
    /// CPU time this load generator used during the scenario.
    pub bench_cpu_s: Option<f64>,
    /// A few distinct error descriptions, for diagnosis.
    pub error_samples: Vec<String>,
    /// Bytes of all successful response bodies, and of the largest one.
    pub body_bytes: u64,
    pub max_body_bytes: u64,
}

impl ScenarioReport {
    /// Successful requests per second.
    pub fn throughput(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            (self.requests - self.errors) as f64 / s
        } else {
            0.0
        }
    }

    /// The latency below which `p` percent of requests finished (nearest rank), in ms.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies_us, p) as f64 / 1000.0
    }

    /// Mean size of a successful response body, in KB.
    pub fn mean_body_kb(&self) -> f64 {
        let ok = self.requests - self.errors;
        if ok > 0 {
            self.body_bytes as f64 / ok as f64 / 1024.0
        } else {
            0.0
        }
    }

    pub fn max_ms(&self) -> f64 {
        self.latencies_us.last().copied().unwrap_or(0) as f64 / 1000.0
    }

    /// CPU time per elapsed time, in percent of one core.
    fn cpu_percent(&self, cpu_s: Option<f64>) -> Option<f64> {
        let s = self.elapsed.as_secs_f64();
        cpu_s.filter(|_| s > 0.0).map(|c| 100.0 * c / s)
    }

    /// Server CPU time per successful request, in microseconds.
    pub fn server_cpu_us_per_request(&self) -> Option<f64> {
        let ok = self.requests - self.errors;
        self.server_cpu_s.filter(|_| ok > 0).map(|c| c * 1e6 / ok as f64)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "scenario": self.name,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": self.elapsed.as_secs_f64(),
            "throughput_rps": round2(self.throughput()),
            "p50_ms": round2(self.percentile_ms(50.0)),
            "p99_ms": round2(self.percentile_ms(99.0)),
            "max_ms": round2(self.max_ms()),
            "server_rss_kb": self.memory.map(|m| m.rss_kb),
            "server_hwm_kb": self.memory.map(|m| m.hwm_kb),
            "server_cpu_percent": self.cpu_percent(self.server_cpu_s).map(round2),
            "server_cpu_us_per_request": self.server_cpu_us_per_request().map(round2),
            "bench_cpu_percent": self.cpu_percent(self.bench_cpu_s).map(round2),
            "mean_body_kb": round2(self.mean_body_kb()),
            "max_body_kb": round2(self.max_body_bytes as f64 / 1024.0),
            "error_samples": self.error_samples,
        })
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Nearest-rank percentile of sorted samples; 0 when there are none.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Resident memory of a process: now (`VmRSS`) and its peak (`VmHWM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub rss_kb: u64,
    pub hwm_kb: u64,
}

impl Memory {
    /// Reads `/proc/PID/status`; `None` if the process is gone or the file unreadable.
    pub fn of(pid: u32) -> Option<Memory> {
        Memory::parse(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
    }

    pub fn parse(status: &str) -> Option<Memory> {
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        };
        Some(Memory { rss_kb: field("VmRSS:")?, hwm_kb: field("VmHWM:")? })
    }
}

/// CPU time a process has used so far, user and system, all threads (`/proc/PID/stat`).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    parse_cpu_seconds(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Clock ticks per second of `/proc/PID/stat` times: `USER_HZ`, 100 on every Linux port that
/// matters here.
const USER_HZ: f64 = 100.0;

pub fn parse_cpu_seconds(stat: &str) -> Option<f64> {
    // Fields after the command name, which is in parentheses and may contain spaces: state is
    // field 3 of the line, utime field 14, stime field 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// The human table of a run.
pub fn table(reports: &[ScenarioReport]) -> String {
    let mut out = format!(
        "{:<11} {:>9} {:>7} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8}\n",
        "scenario",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "RSS MB",
        "HWM MB",
        "srv CPU",
        "srv us/rq",
        "gen CPU",
        "max KB"
    );
    for r in reports {
        let mb = |kb: Option<u64>| kb.map_or("-".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
        let pct = |c: Option<f64>| r.cpu_percent(c).map_or("-".to_string(), |p| format!("{p:.0}%"));
        out.push_str(&format!(
            "{:<11} {:>9} {:>7} {:>10.1} {:>8.2} {:>8.2} {:>8.1} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8.1}\n",
            r.name,
            r.requests,
            r.errors,
            r.throughput(),
            r.percentile_ms(50.0),
            r.percentile_ms(99.0),
            r.max_ms(),
            mb(r.memory.map(|m| m.rss_kb)),
            mb(r.memory.map(|m| m.hwm_kb)),
            pct(r.server_cpu_s),
            r.server_cpu_us_per_request().map_or("-".to_string(), |u| format!("{u:.0}")),
            pct(r.bench_cpu_s),
            r.max_body_bytes as f64 / 1024.0,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 99.0), 0);
    }

    #[test]
    fn memory_is_read_from_proc_status() {
        let status = "Name:\topsdesk\nVmHWM:\t  120344 kB\nVmRSS:\t   98765 kB\nThreads:\t5\n";
        assert_eq!(Memory::parse(status), Some(Memory { rss_kb: 98_765, hwm_kb: 120_344 }));
        assert_eq!(Memory::parse("Name:\tx\n"), None);
        assert!(Memory::of(std::process::id()).is_some());
    }

    #[test]
    fn cpu_time_is_read_from_proc_stat() {
        let stat = "4242 (tokio (worker)) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 50 0 0 20 0 9 0 1 2 3";
        assert_eq!(parse_cpu_seconds(stat), Some(3.0));
        assert!(cpu_seconds(std::process::id()).is_some());
    }

    #[test]
    fn throughput_counts_successes() {
        let r = ScenarioReport {
            name: "get",
            requests: 110,
            errors: 10,
            elapsed: Duration::from_secs(2),
            latencies_us: vec![1000, 2000],
            memory: None,
            server_cpu_s: Some(1.0),
            bench_cpu_s: None,
            error_samples: vec![],
            body_bytes: 300,
            max_body_bytes: 200,
        };
        assert_eq!(r.throughput(), 50.0);
        assert_eq!(r.max_ms(), 2.0);
        assert_eq!(r.mean_body_kb(), 3.0 / 1024.0);
        assert_eq!(r.server_cpu_us_per_request(), Some(10_000.0));
        assert!(table(&[r]).contains("get"));
    }
}
