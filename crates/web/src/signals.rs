//! The page's signals, in groups by job. The controller ([`crate::control`]) writes each group
//! from the part of it that owns that job; the components take from context only the groups
//! they read ([`use_picture`], [`use_clock`], ...). Data flows one way: controller, signals,
//! components; a component acts through [`crate::control::Control`].
//!
//! Each group is a `Copy` struct of signals, taken from context (Leptos's "state by context"):
//! one context holds them all, which the bundle pays for once. A few signals are the views' own state rather than the controller's (what is
//! selected, the partition being drawn, the picture's size, the new-cluster form): the
//! components write those.

use leptos::prelude::*;
use sim::ClusterView;

use etcd::session::SessionPoint;

use crate::model::{
    CheckRunView, ConsoleEntry, Counters, DropMark, LessonView, LogWindow, Perf, ReplayRunView,
    Selection, Settings, Timeline,
};

/// The cluster as drawn. Written each frame by `control/publish.rs`; read by the picture, its
/// node glyphs and the inspector.
#[derive(Clone, Copy)]
pub struct PictureUi {
    /// The cluster as of this frame.
    pub view: RwSignal<ClusterView>,
    /// Virtual time as drawn (fractional ms): where messages are on their lanes.
    pub clock: RwSignal<f64>,
    /// Wall clock of this frame (ms), for fades.
    pub wall: RwSignal<f64>,
    /// Recently dropped messages.
    pub drops: RwSignal<Vec<DropMark>>,
    /// Counters.
    pub counters: RwSignal<Counters>,
    /// Inspector subject (the views' own: a click picks it; a new cluster clears it).
    pub selection: RwSignal<Selection>,
    /// The partition being drawn (None when not drawing one; the picture's own).
    pub partition: RwSignal<Option<crate::partition::Draft>>,
    /// The size of the picture on screen in CSS pixels (the picture's own).
    pub size: RwSignal<(f64, f64)>,
}

/// The logs on screen. Written by `control/publish.rs` a few times a second; read by the log
/// view.
#[derive(Clone, Copy)]
pub struct LogsUi {
    /// The window of the logs on screen.
    pub window: RwSignal<LogWindow>,
    /// First log index to show; None follows the tail.
    pub from: RwSignal<Option<u64>>,
}

/// Virtual time on screen. Written by `control/clock.rs`; read by the toolbar.
#[derive(Clone, Copy)]
pub struct ClockUi {
    /// Playing or paused.
    pub playing: RwSignal<bool>,
    /// Virtual ms per wall ms; infinity = as fast as possible.
    pub speed: RwSignal<f64>,
    /// How virtual time runs on screen (slow motion around messages, or steady).
    pub pace: RwSignal<crate::pace::Pace>,
    /// Whether the pace slowed the clock within the last second (slow motion on screen).
    pub slowed: RwSignal<bool>,
    /// Speed achieved.
    pub perf: RwSignal<Perf>,
    /// Background client writes per virtual second.
    pub load: RwSignal<f64>,
}

/// The console. Written by `control/console.rs`; read by the console.
#[derive(Clone, Copy)]
pub struct ConsoleUi {
    /// Console lines.
    pub entries: RwSignal<Vec<ConsoleEntry>>,
}

/// The open lesson. Written by `control/lessons.rs`; read by the lesson panel.
#[derive(Clone, Copy)]
pub struct LessonUi {
    /// The open lesson.
    pub open: RwSignal<Option<LessonView>>,
}

/// The run in its session: the timeline, the scrubber, the session bar. Written by
/// `control/publish.rs` (where the run stands) and `control/session.rs` with
/// `control/replay_run.rs` (moves in time, imports, links, exports).
#[derive(Clone, Copy)]
pub struct SessionUi {
    /// Where the run stands in its session (for the scrubber).
    pub point: RwSignal<SessionPoint>,
    /// Terms and marks.
    pub timeline: RwSignal<Timeline>,
    /// Virtual time as of the last refresh of the logs and timeline.
    pub slow_now: RwSignal<u64>,
    /// The replay running now (an import, a link, a seek), if any.
    pub replay: RwSignal<Option<ReplayRunView>>,
    /// A short confirmation (link copied, file saved), cleared after a moment.
    pub toast: RwSignal<Option<(String, f64)>>,
}

/// The banners and the side panels: errors, the new-cluster form, watches, leases, the Check
/// panel and the teaching menu.
#[derive(Clone, Copy)]
pub struct PanelsUi {
    /// A stopped run (invariant violation) or a failed reset.
    pub error: RwSignal<Option<String>>,
    /// Options for the next cluster.
    pub settings: RwSignal<Settings>,
    /// Whether the new-cluster form is open (the form's own).
    pub config_open: RwSignal<bool>,
    /// Open watches.
    pub watches: RwSignal<Vec<etcd::playground::WatchView>>,
    /// Leases.
    pub leases: RwSignal<Vec<etcd::playground::LeaseView>>,
    /// The last check of the session (the Check panel).
    pub check: RwSignal<Option<crate::checking::CheckView>>,
    /// The check running now, if any.
    pub check_run: RwSignal<Option<CheckRunView>>,
    /// The bugs planted in the running cluster (the teaching menu); empty when it is healthy.
    pub planted: RwSignal<etcd::planted::PlantedBugs>,
}

/// Every group: what the controller holds (each of its parts writes its own group).
#[derive(Clone, Copy)]
pub struct Ui {
    /// The cluster as drawn.
    pub picture: PictureUi,
    /// The logs on screen.
    pub logs: LogsUi,
    /// Virtual time on screen.
    pub clock: ClockUi,
    /// The console.
    pub console: ConsoleUi,
    /// The open lesson.
    pub lesson: LessonUi,
    /// The run in its session.
    pub session: SessionUi,
    /// Banners and side panels.
    pub panels: PanelsUi,
}

impl Ui {
    /// Fresh signals around a first picture of the cluster.
    pub fn new(view: ClusterView, settings: Settings) -> Self {
        Ui {
            picture: PictureUi {
                view: RwSignal::new(view),
                clock: RwSignal::new(0.0),
                wall: RwSignal::new(0.0),
                drops: RwSignal::new(Vec::new()),
                counters: RwSignal::new(Counters::default()),
                selection: RwSignal::new(Selection::None),
                partition: RwSignal::new(None),
                size: RwSignal::new((720.0, 480.0)),
            },
            logs: LogsUi {
                window: RwSignal::new(LogWindow::default()),
                from: RwSignal::new(None),
            },
            clock: ClockUi {
                playing: RwSignal::new(true),
                speed: RwSignal::new(1.0),
                pace: RwSignal::new(crate::pace::Pace::default()),
                slowed: RwSignal::new(false),
                perf: RwSignal::new(Perf::default()),
                load: RwSignal::new(settings.load),
            },
            console: ConsoleUi {
                entries: RwSignal::new(Vec::new()),
            },
            lesson: LessonUi {
                open: RwSignal::new(None),
            },
            session: SessionUi {
                point: RwSignal::new(SessionPoint::default()),
                timeline: RwSignal::new(Timeline::default()),
                slow_now: RwSignal::new(0),
                replay: RwSignal::new(None),
                toast: RwSignal::new(None),
            },
            panels: PanelsUi {
                error: RwSignal::new(None),
                settings: RwSignal::new(settings),
                config_open: RwSignal::new(false),
                watches: RwSignal::new(Vec::new()),
                leases: RwSignal::new(Vec::new()),
                check: RwSignal::new(None),
                check_run: RwSignal::new(None),
                planted: RwSignal::new(etcd::planted::PlantedBugs::NONE),
            },
        }
    }

    /// Provides the groups by context, for [`use_picture`] and the others: one context that
    /// holds them all (each its own context cost 1,255 bytes of the gzipped bundle).
    pub fn provide(self) {
        provide_context(self);
    }
}

fn groups() -> Ui {
    expect_context()
}

/// The cluster as drawn, from context.
pub fn use_picture() -> PictureUi {
    groups().picture
}

/// The logs on screen, from context.
pub fn use_logs() -> LogsUi {
    groups().logs
}

/// Virtual time on screen, from context.
pub fn use_clock() -> ClockUi {
    groups().clock
}

/// The console, from context.
pub fn use_console() -> ConsoleUi {
    groups().console
}

/// The open lesson, from context.
pub fn use_lesson() -> LessonUi {
    groups().lesson
}

/// The run in its session, from context.
pub fn use_session() -> SessionUi {
    groups().session
}

/// Banners and side panels, from context.
pub fn use_panels() -> PanelsUi {
    groups().panels
}
