//! Embedding: the embed dialog's model (what its fields say, the address
//! the iframe opens and the snippet a writer pastes into a page), and the
//! messages an embedded playground and its host page exchange
//! (docs/EMBEDDING.md describes them for writers).

use serde::Serialize;

/// The smallest and largest embed sizes offered (CSS pixels).
pub const EMBED_SIZES: (u32, u32) = (240, 2000);

/// What the embed dialog's fields say.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbedOptions {
    /// The iframe's width.
    pub width: u32,
    /// The iframe's height.
    pub height: u32,
    /// `None`: exactly the run on screen; else a lesson's start.
    pub lesson: Option<&'static str>,
    /// What the iframe is called (its `title`, read by screen readers).
    pub title: String,
    /// Start playing when it opens.
    pub autoplay: bool,
    /// Presenter mode (large type).
    pub present: bool,
    /// The snippet holds this server's full address; otherwise an address
    /// relative to the page it is pasted into ([`relative_to_folder`]).
    pub absolute: bool,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            width: 720,
            // The size the embedding guide recommends (docs/EMBEDDING.md).
            height: 360,
            lesson: None,
            title: "a cache scenario".to_string(),
            autoplay: false,
            present: false,
            absolute: false,
        }
    }
}

impl EmbedOptions {
    /// What the dialog starts with: the lesson on screen (`lesson`, by
    /// name) at its start, or, for a run of a person's own (`custom`),
    /// exactly the run on screen, called `run`.
    pub fn opening(lesson: &'static str, custom: bool, run: &str) -> Self {
        let mut options = EmbedOptions::default();
        options.choose(if custom { None } else { Some(lesson) }, run);
        options
    }

    /// Embeds `lesson` (by name) at its start, or `None`: the run on screen,
    /// called `run`; the frame's title follows.
    pub fn choose(&mut self, lesson: Option<&'static str>, run: &str) {
        self.lesson = lesson;
        self.title = match lesson.and_then(crate::lessons::course::place) {
            Some(place) => {
                let lesson = &crate::lessons::LESSONS[place.index];
                format!("{} (lesson {})", lesson.heading, place.number())
            }
            None => run.to_string(),
        };
    }

    /// The embedded page's query parameters.
    pub fn params(&self) -> Vec<(&'static str, &'static str)> {
        let mut params = vec![("embed", "1")];
        if let Some(lesson) = self.lesson {
            params.push(("lesson", lesson));
        }
        if self.autoplay {
            params.push(("autoplay", "1"));
        }
        if self.present {
            params.push(("present", "1"));
        }
        params
    }

    /// The link fragment it opens: the run on screen's (`fragment`), or
    /// none for a lesson's start.
    pub fn fragment<'a>(&self, fragment: &'a str) -> Option<&'a str> {
        self.lesson.is_none().then_some(fragment)
    }

    /// The snippet that embeds `url` (this page with [`Self::params`] and
    /// [`Self::fragment`]).
    pub fn snippet(&self, url: &str) -> String {
        format!(
            "<iframe src=\"{}\" width=\"{}\" height=\"{}\" title=\"cachescope: {}\" style=\"border: 1px solid #ccc; border-radius: 6px\" loading=\"lazy\"></iframe>",
            attribute(url),
            self.width,
            self.height,
            attribute(&self.title)
        )
    }
}

/// The folder a documentation site serves the playground from when the
/// address has none (the page is at a server's root, as in development).
pub const DEFAULT_FOLDER: &str = "cachescope";

/// `address` (the playground's full address with its query and fragment)
/// relative to a page beside the playground's folder: `cachescope/?embed=1…`
/// for `https://site/docs/cachescope/?embed=1…`. A snippet copied from a
/// preview on this machine then works once the folder is published beside
/// the page, rather than pointing at the machine it was copied on.
pub fn relative_to_folder(address: &str) -> String {
    let after_scheme = address.split_once("://").map_or(address, |(_, rest)| rest);
    let path_and_rest = after_scheme
        .find('/')
        .map_or("/", |slash| &after_scheme[slash..]);
    let split = path_and_rest
        .find(['?', '#'])
        .unwrap_or(path_and_rest.len());
    let (path, rest) = path_and_rest.split_at(split);
    let (folder, file) = path.rsplit_once('/').unwrap_or(("", path));
    let name = folder
        .rsplit('/')
        .find(|segment| !segment.is_empty())
        .unwrap_or(DEFAULT_FOLDER);
    format!("{name}/{file}{rest}")
}

/// `text` as the value of a double-quoted HTML attribute.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// A command from the page an embed is in (`postMessage`
/// `{ target: "cachescope", command, part }`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostCommand {
    /// Say where the embed stands (a `status` and a `size` message).
    Hello,
    /// Play (a lesson's play stops at its next part).
    Play,
    /// Pause.
    Pause,
    /// One operation forward.
    Step,
    /// One operation back.
    Back,
    /// Back to the start.
    Reset,
    /// To the run's end.
    RunToEnd,
    /// To where this part of the narration begins (counted from 1, as the
    /// page shows "part 2 of 5").
    Part(usize),
}

impl HostCommand {
    /// The command named `command`; `part` is the number a `part` command
    /// goes to. Anything else: why it is not a command.
    pub fn parse(command: &str, part: Option<f64>) -> Result<Self, String> {
        Ok(match command {
            "hello" => HostCommand::Hello,
            "play" => HostCommand::Play,
            "pause" => HostCommand::Pause,
            "step" => HostCommand::Step,
            "back" => HostCommand::Back,
            "reset" => HostCommand::Reset,
            "run-to-end" => HostCommand::RunToEnd,
            "part" => match part {
                Some(n) if n.fract() == 0.0 && (1.0..=1e6).contains(&n) => {
                    HostCommand::Part(n as usize)
                }
                _ => {
                    return Err(
                        "a part command needs part: a whole number from 1 (the first part)"
                            .to_string(),
                    );
                }
            },
            other => {
                return Err(format!(
                    "unknown command {other:.40}: the commands are hello, play, pause, step, \
                     back, reset, run-to-end and part"
                ));
            }
        })
    }
}

/// What an embed tells its host page after every change that shows
/// (`postMessage` `{ source: "cachescope", event: "status", ... }`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EmbedStatus {
    /// The lesson's name (as in `?lesson=`), or the scenario's for a
    /// person's own.
    pub lesson: String,
    /// Operations taken, of `steps`.
    pub step: usize,
    /// Operations in the run.
    pub steps: usize,
    /// The simulated time at the cursor.
    pub time_ms: u64,
    /// The narration's part on screen (from 1), of `parts` (0: none).
    pub part: usize,
    /// Parts of the narration.
    pub parts: usize,
    /// What the part on screen says.
    pub text: String,
    /// Whether it is playing.
    pub playing: bool,
    /// Whether the run is over (nothing left to take or to schedule).
    pub done: bool,
}

/// A typed size, kept within [`EMBED_SIZES`]; what is not a number keeps
/// the size it had.
pub fn embed_size(typed: &str, had: u32) -> u32 {
    typed
        .trim()
        .parse::<u32>()
        .map_or(had, |v| v.clamp(EMBED_SIZES.0, EMBED_SIZES.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_is_clamped_and_what_is_not_a_number_keeps_the_last() {
        assert_eq!(embed_size(" 800 ", 720), 800);
        assert_eq!(embed_size("10", 720), 240);
        assert_eq!(embed_size("99999", 720), 2000);
        assert_eq!(embed_size("wide", 720), 720);
        assert_eq!(embed_size("-5", 480), 480);
    }

    #[test]
    fn the_snippet_embeds_a_lesson_or_exactly_the_run_on_screen() {
        let run = EmbedOptions::default();
        assert_eq!(run.params(), [("embed", "1")]);
        assert_eq!(run.fragment("v1.abc"), Some("v1.abc"));
        let lesson = EmbedOptions {
            lesson: Some("leases"),
            title: "Leases \"fix\" it".to_string(),
            autoplay: true,
            present: true,
            width: 400,
            height: 300,
            absolute: true,
        };
        assert_eq!(
            lesson.params(),
            [
                ("embed", "1"),
                ("lesson", "leases"),
                ("autoplay", "1"),
                ("present", "1")
            ]
        );
        assert_eq!(lesson.fragment("v1.abc"), None);
        assert_eq!(
            lesson.snippet("http://127.0.0.1:8080/?embed=1&lesson=leases"),
            "<iframe src=\"http://127.0.0.1:8080/?embed=1&amp;lesson=leases\" width=\"400\" \
             height=\"300\" title=\"cachescope: Leases &quot;fix&quot; it\" style=\"border: 1px solid #ccc; \
             border-radius: 6px\" loading=\"lazy\"></iframe>"
        );
        assert!(
            run.snippet("x")
                .contains("title=\"cachescope: a cache scenario\"")
        );
    }

    #[test]
    fn a_snippet_address_is_relative_to_the_playground_folder() {
        assert_eq!(
            relative_to_folder("https://site.example/docs/cachescope/?embed=1&lesson=x"),
            "cachescope/?embed=1&lesson=x"
        );
        assert_eq!(
            relative_to_folder("http://127.0.0.1:8080/play/index.html?embed=1#v1.abc"),
            "play/index.html?embed=1#v1.abc"
        );
        // At a server's root: the folder the guide recommends.
        assert_eq!(
            relative_to_folder("http://127.0.0.1:8080/?embed=1"),
            "cachescope/?embed=1"
        );
        assert_eq!(relative_to_folder("http://127.0.0.1:8080"), "cachescope/");
        assert!(!EmbedOptions::default().absolute);
        assert_eq!(EmbedOptions::default().height, 360);
    }

    #[test]
    fn the_dialog_opens_on_the_lesson_and_titles_the_frame_after_it() {
        let lesson = EmbedOptions::opening("read-write-race", false, "unused");
        assert_eq!(lesson.lesson, Some("read-write-race"));
        assert_eq!(lesson.title, "The read-write race (lesson 2.3)");
        assert_eq!(lesson.fragment("v2.abc"), None);
        let own = EmbedOptions::opening("read-write-race", true, "my race, step 3");
        assert_eq!(own.lesson, None);
        assert_eq!(own.title, "my race, step 3");
        assert_eq!(own.fragment("v2.abc"), Some("v2.abc"));
    }

    #[test]
    fn a_host_command_is_read_or_refused_with_why() {
        assert_eq!(HostCommand::parse("play", None), Ok(HostCommand::Play));
        assert_eq!(
            HostCommand::parse("run-to-end", Some(3.0)),
            Ok(HostCommand::RunToEnd)
        );
        assert_eq!(
            HostCommand::parse("part", Some(2.0)),
            Ok(HostCommand::Part(2))
        );
        for bad in [None, Some(0.0), Some(1.5), Some(-1.0), Some(f64::NAN)] {
            let refused = HostCommand::parse("part", bad).unwrap_err();
            assert!(refused.contains("whole number"), "{refused}");
        }
        let unknown = HostCommand::parse("explode", None).unwrap_err();
        assert!(unknown.starts_with("unknown command explode"), "{unknown}");
    }
}
