//! The named load shapes: how many pads, how many connections each, how many of them type and
//! how fast. Connections per pad include the typists and the probes; the rest are readers.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scenario {
    pub name: &'static str,
    pub pads: usize,
    pub connections_per_pad: usize,
    pub typists_per_pad: usize,
    pub keystrokes_per_second: f64,
    /// Probes per pad: real documents that time every keystroke's arrival.
    pub probes_per_pad: usize,
    /// What this shape stands for, for the report.
    pub story: &'static str,
}

impl Scenario {
    pub fn connections(&self) -> usize {
        self.pads * self.connections_per_pad
    }

    pub fn readers_per_pad(&self) -> usize {
        self.connections_per_pad - self.typists_per_pad - self.probes_per_pad
    }

    pub fn typists(&self) -> usize {
        self.pads * self.typists_per_pad
    }

    /// Keystrokes per second over all pads.
    pub fn keystroke_rate(&self) -> f64 {
        self.typists() as f64 * self.keystrokes_per_second
    }

    /// Updates per second the audience (readers and probes) should receive if nothing is lost.
    pub fn expected_delivery_rate(&self) -> f64 {
        self.keystroke_rate() * (self.readers_per_pad() + self.probes_per_pad) as f64
    }

    pub fn shape(&self) -> String {
        format!(
            "{} pad{} × {} connections, {} typist{} × {} keystrokes/s per pad",
            self.pads,
            if self.pads == 1 { "" } else { "s" },
            self.connections_per_pad,
            self.typists_per_pad,
            if self.typists_per_pad == 1 { "" } else { "s" },
            self.keystrokes_per_second
        )
    }

    pub fn by_name(name: &str) -> Option<Scenario> {
        ALL.iter().chain([&SMOKE]).find(|s| s.name == name).copied()
    }
}

const fn scenario(
    name: &'static str,
    pads: usize,
    connections_per_pad: usize,
    typists_per_pad: usize,
    story: &'static str,
) -> Scenario {
    Scenario {
        name,
        pads,
        connections_per_pad,
        typists_per_pad,
        keystrokes_per_second: 5.0,
        probes_per_pad: 2,
        story,
    }
}

/// Run by `all`, in this order (small to large, so a failure shows early).
pub const ALL: [Scenario; 5] = [
    scenario("session", 1, 200, 10, "a conference session's shared notes"),
    scenario("keynote", 1, 1000, 20, "a keynote's shared notes"),
    scenario("summit-day", 100, 20, 2, "a day of parallel workshop pads"),
    scenario(
        "conference",
        500,
        20,
        1,
        "a whole conference, 10,000 people",
    ),
    scenario("stadium", 1, 5000, 20, "one pad projected to a stadium"),
];

/// A seconds-long check that the whole pipeline works; not part of `all`.
pub const SMOKE: Scenario = scenario("smoke", 2, 12, 2, "a pipeline check");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_add_up() {
        for s in ALL.iter().chain([&SMOKE]) {
            assert!(s.readers_per_pad() < s.connections_per_pad, "{}", s.name);
            assert!(s.typists_per_pad + s.probes_per_pad <= s.connections_per_pad);
        }
        let conference = Scenario::by_name("conference").unwrap();
        assert_eq!(conference.connections(), 10_000);
        assert_eq!(conference.readers_per_pad(), 17);
        assert_eq!(conference.keystroke_rate(), 2500.0);
        assert!(Scenario::by_name("nope").is_none());
    }
}
