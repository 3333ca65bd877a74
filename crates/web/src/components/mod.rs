//! The playground's components, one per file.

pub mod app;
pub mod broken_banner;
pub mod check_panel;
pub mod cluster_view;
pub mod config_panel;
pub mod console;
pub mod drag;
pub mod error_banner;
pub mod inspector;
pub mod keyed;
pub mod lease_panel;
pub mod legend;
pub mod lesson_panel;
pub mod lessons_menu;
pub mod log_view;
pub mod msg_style;
pub mod node_glyph;
pub mod partition_panel;
pub mod replay_bar;
pub mod scrubber;
pub mod session_bar;
pub mod teaching_menu;
pub mod timeline;
pub mod toolbar;
pub mod watch_panel;
pub mod why_panel;
