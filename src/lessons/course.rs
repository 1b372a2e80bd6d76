//! The lessons as a course: chapters in a suggested order, each a run of
//! [`super::LESSONS`]. Where a lesson sits (chapter, number, what comes
//! next) is worked out here, for the menu, the page's course bar and the
//! presenter's walk through the course.

use super::{LESSONS, Lesson};

/// A chapter: a title and how many lessons of [`LESSONS`] it takes, in
/// order, after the previous chapter's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chapter {
    /// "Races on write".
    pub title: &'static str,
    /// What the chapter is about, in a sentence.
    pub about: &'static str,
    /// How many lessons it takes.
    pub lessons: usize,
}

/// The course, in order. Together the chapters take every lesson once.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        title: "Basics",
        about: "Cache-aside: miss, read the database, fill the cache, hit.",
        lessons: 1,
    },
    Chapter {
        title: "Races on write",
        about: "Two requests cross, and the cache keeps what the database no longer holds.",
        lessons: 3,
    },
    Chapter {
        title: "Fixes, and what they miss",
        about: "Leases, a second delete, versions, deleting first, a read replica.",
        lessons: 5,
    },
    Chapter {
        title: "Other write paths",
        about: "Write-through, writing the cache first, write-behind and its crash, TTL alone.",
        lessons: 4,
    },
    Chapter {
        title: "Events and the bus",
        about: "Invalidation over a delaying, lossy, partitioned bus: events, CDC, the outbox.",
        lessons: 6,
    },
    Chapter {
        title: "Stampedes",
        about: "A hot key expires under load, and the ways to read the database once.",
        lessons: 8,
    },
];

/// Where a lesson sits in the course.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    /// Its index in [`LESSONS`] (0-based).
    pub index: usize,
    /// Its chapter's index in [`CHAPTERS`] (0-based).
    pub chapter: usize,
    /// Its number within the chapter (0-based).
    pub within: usize,
}

impl Place {
    /// "2.3": chapter and lesson, counted from 1.
    pub fn number(&self) -> String {
        format!("{}.{}", self.chapter + 1, self.within + 1)
    }

    /// The lesson after this one, if any.
    pub fn next(&self) -> Option<&'static Lesson> {
        LESSONS.get(self.index + 1)
    }

    /// The lesson before this one, if any.
    pub fn previous(&self) -> Option<&'static Lesson> {
        self.index.checked_sub(1).and_then(|i| LESSONS.get(i))
    }
}

/// Where the lesson called `name` sits; `None` for a name that is not a
/// lesson.
pub fn place(name: &str) -> Option<Place> {
    let index = LESSONS.iter().position(|lesson| lesson.name == name)?;
    let mut first = 0;
    for (chapter, c) in CHAPTERS.iter().enumerate() {
        if index < first + c.lessons {
            return Some(Place {
                index,
                chapter,
                within: index - first,
            });
        }
        first += c.lessons;
    }
    None
}

/// The chapters with their lessons, in order.
pub fn chapters() -> impl Iterator<Item = (&'static Chapter, &'static [Lesson])> {
    let mut first = 0;
    CHAPTERS.iter().map(move |chapter| {
        let lessons = &LESSONS[first..first + chapter.lessons];
        first += chapter.lessons;
        (chapter, lessons)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chapters_take_every_lesson_once_in_order() {
        assert_eq!(
            CHAPTERS.iter().map(|c| c.lessons).sum::<usize>(),
            LESSONS.len()
        );
        let flat: Vec<&str> = chapters()
            .flat_map(|(_, lessons)| lessons.iter().map(|l| l.name))
            .collect();
        let all: Vec<&str> = LESSONS.iter().map(|l| l.name).collect();
        assert_eq!(flat, all);
        assert!(CHAPTERS.iter().all(|c| c.lessons > 0));
    }

    #[test]
    fn a_lesson_knows_its_chapter_number_and_neighbours() {
        let race = place("read-write-race").unwrap();
        assert_eq!(CHAPTERS[race.chapter].title, "Races on write");
        assert_eq!(race.number(), "2.3");
        assert_eq!(race.next().unwrap().name, "leases");
        assert_eq!(race.previous().unwrap().name, "invalidate-on-write");
        let first = place(LESSONS[0].name).unwrap();
        assert_eq!(first.number(), "1.1");
        assert!(first.previous().is_none());
        let last = place(LESSONS[LESSONS.len() - 1].name).unwrap();
        assert!(last.next().is_none());
        assert_eq!(place("no-such-lesson"), None);
    }
}
