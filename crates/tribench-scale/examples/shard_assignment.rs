//! Times shard assignment: `cargo run --release -p tribench-scale --example shard_assignment
//! [TRIALS] [SHARDS]` (bench/shard-merge.sh runs it). Prints the time and each shard's size.

use std::time::Instant;
use tribench_types::{Shard, TrialKey};

fn main() {
    let mut args = std::env::args().skip(1);
    let trials: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let shards: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let attempts = 5;
    let keys: Vec<TrialKey> = (0..trials / attempts)
        .flat_map(|t| {
            (1..=attempts as u32).map(move |a| TrialKey {
                task_id: format!("django__django-{t:05}"),
                attempt: a,
            })
        })
        .collect();
    let start = Instant::now();
    let mut sizes = vec![0usize; shards as usize];
    for k in &keys {
        sizes[Shard::of(k, shards) as usize] += 1;
    }
    let took = start.elapsed();
    let (min, max) = (
        sizes.iter().min().copied().unwrap_or(0),
        sizes.iter().max().copied().unwrap_or(0),
    );
    println!(
        "assigned {} trials to {shards} shards in {:.1} ms (shard sizes {min} to {max})",
        keys.len(),
        took.as_secs_f64() * 1000.0
    );
}
