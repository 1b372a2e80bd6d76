//! The embed dialog's model: what its fields say, the address the iframe
//! opens and the snippet a writer pastes into a page.

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
    /// Start playing when it opens.
    pub autoplay: bool,
    /// Presenter mode (large type).
    pub present: bool,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            width: 720,
            height: 480,
            lesson: None,
            autoplay: false,
            present: false,
        }
    }
}

impl EmbedOptions {
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
        let title = self.lesson.unwrap_or("a cache scenario");
        format!(
            "<iframe src=\"{}\" width=\"{}\" height=\"{}\" title=\"cachescope: {title}\" style=\"border: 1px solid #ccc; border-radius: 6px\" loading=\"lazy\"></iframe>",
            url.replace('&', "&amp;"),
            self.width,
            self.height
        )
    }
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
            autoplay: true,
            present: true,
            width: 400,
            height: 300,
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
             height=\"300\" title=\"cachescope: leases\" style=\"border: 1px solid #ccc; \
             border-radius: 6px\" loading=\"lazy\"></iframe>"
        );
        assert!(
            run.snippet("x")
                .contains("title=\"cachescope: a cache scenario\"")
        );
    }
}
