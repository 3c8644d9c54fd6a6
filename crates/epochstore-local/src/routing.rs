//! Which region answers a request: Route53 weighted records with health
//! checks. Only healthy records are candidates; every region has the same
//! weight in the Terraform, so the healthy regions take turns. When no
//! record is healthy Route53 answers as if all were, and so does the front
//! door.

/// The regions to try for request number `turn`, best first: the healthy
/// regions in turn (round-robin), then the rest (a fallback when the chosen
/// region cannot even be reached).
pub fn order(healthy: &[bool], turn: u64) -> Vec<usize> {
    let regions = 0..healthy.len();
    let mut candidates: Vec<usize> = regions.clone().filter(|&i| healthy[i]).collect();
    if candidates.is_empty() {
        candidates = regions.clone().collect();
    }
    if !candidates.is_empty() {
        let first = turn % candidates.len() as u64;
        candidates.rotate_left(first as usize);
    }
    let rest: Vec<usize> = regions.filter(|i| !candidates.contains(i)).collect();
    candidates.extend(rest);
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firsts(healthy: &[bool], turns: u64) -> Vec<usize> {
        let mut counts = vec![0; healthy.len()];
        for turn in 0..turns {
            counts[order(healthy, turn)[0]] += 1;
        }
        counts
    }

    #[test]
    fn healthy_regions_take_turns() {
        assert_eq!(firsts(&[true, true], 400), [200, 200]);
        // Request by request, not in runs.
        assert_eq!(firsts(&[true, true], 2), [1, 1]);
        assert_eq!(firsts(&[true, true, true], 600), [200, 200, 200]);
    }

    #[test]
    fn only_healthy_regions_are_chosen() {
        assert_eq!(firsts(&[true, false, true], 400), [200, 0, 200]);
        assert_eq!(firsts(&[false, true, false], 50), [0, 50, 0]);
    }

    #[test]
    fn with_no_healthy_region_every_region_is_a_candidate() {
        assert_eq!(firsts(&[false, false], 100), [50, 50]);
    }

    #[test]
    fn the_fallbacks_follow_the_choice_and_cover_every_region() {
        for turn in 0..300 {
            let order = order(&[true, false, true], turn);
            assert_eq!(order.len(), 3);
            assert_ne!(order[0], 1);
            assert_ne!(
                order[1], 1,
                "a healthy region comes before an unhealthy one"
            );
            assert_eq!(order[2], 1);
        }
        assert_eq!(order(&[false, true, false], 7), [1, 0, 2]);
        assert_eq!(order(&[], 3), Vec::<usize>::new());
    }
}
