//! Which region answers a request: Route53 weighted records with health
//! checks. Only healthy records are candidates, chosen in proportion to their
//! weights; when no record is healthy Route53 answers as if all were, and so
//! does the front door.

/// Every region has the same weight, as in the Terraform.
pub const WEIGHT: u32 = 100;

/// The regions to try for request number `turn`, best first: the weighted
/// choice among the healthy regions, then the other healthy regions, then
/// the rest (a fallback when the chosen region cannot even be reached).
/// Deterministic weighted round-robin: over any `sum(weights)` consecutive
/// turns each candidate comes first exactly `weight` times.
pub fn order(weights: &[u32], healthy: &[bool], turn: u64) -> Vec<usize> {
    let n = weights.len().min(healthy.len());
    let mut candidates: Vec<usize> = (0..n).filter(|&i| healthy[i] && weights[i] > 0).collect();
    if candidates.is_empty() {
        candidates = (0..n).filter(|&i| weights[i] > 0).collect();
    }
    if candidates.is_empty() {
        candidates = (0..n).collect();
    }
    // Divided by their common divisor, equal weights alternate request by
    // request instead of serving `weight` requests in a row.
    let divisor = candidates
        .iter()
        .fold(0, |g, &i| gcd(g, u64::from(weights[i].max(1))));
    let weight = |i: usize| u64::from(weights[i].max(1)) / divisor.max(1);
    let total: u64 = candidates.iter().map(|&i| weight(i)).sum();
    let mut slot = turn % total.max(1);
    let mut first = 0;
    for (position, &i) in candidates.iter().enumerate() {
        let weight = weight(i);
        if slot < weight {
            first = position;
            break;
        }
        slot -= weight;
    }
    candidates.rotate_left(first);
    let rest = (0..n)
        .filter(|i| !candidates.contains(i))
        .collect::<Vec<_>>();
    candidates.extend(rest);
    candidates
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firsts(weights: &[u32], healthy: &[bool], turns: u64) -> Vec<usize> {
        let mut counts = vec![0; weights.len()];
        for turn in 0..turns {
            counts[order(weights, healthy, turn)[0]] += 1;
        }
        counts
    }

    #[test]
    fn equal_weights_split_evenly_between_healthy_regions() {
        let w = [WEIGHT, WEIGHT];
        assert_eq!(firsts(&w, &[true, true], 400), [200, 200]);
        // Request by request, not in runs of `WEIGHT`.
        assert_eq!(firsts(&w, &[true, true], 2), [1, 1]);
        let w3 = [WEIGHT, WEIGHT, WEIGHT];
        assert_eq!(firsts(&w3, &[true, true, true], 600), [200, 200, 200]);
    }

    #[test]
    fn only_healthy_regions_are_chosen() {
        let w = [WEIGHT, WEIGHT, WEIGHT];
        assert_eq!(firsts(&w, &[true, false, true], 400), [200, 0, 200]);
        assert_eq!(firsts(&w, &[false, true, false], 50), [0, 50, 0]);
    }

    #[test]
    fn weights_set_the_proportions() {
        assert_eq!(firsts(&[1, 3], &[true, true], 400), [100, 300]);
        assert_eq!(firsts(&[0, 3], &[true, true], 30), [0, 30]);
    }

    #[test]
    fn with_no_healthy_region_every_region_is_a_candidate() {
        let w = [WEIGHT, WEIGHT];
        assert_eq!(firsts(&w, &[false, false], 100), [50, 50]);
    }

    #[test]
    fn the_fallbacks_follow_the_choice_and_cover_every_region() {
        let w = [WEIGHT, WEIGHT, WEIGHT];
        for turn in 0..300 {
            let order = order(&w, &[true, false, true], turn);
            assert_eq!(order.len(), 3);
            assert_ne!(order[0], 1);
            assert_ne!(
                order[1], 1,
                "a healthy region comes before an unhealthy one"
            );
            assert_eq!(order[2], 1);
        }
        assert_eq!(order(&w, &[false, true, false], 7), [1, 0, 2]);
    }
}
