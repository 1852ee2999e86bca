//! Colour for people at a terminal; none when piped or with `NO_COLOR`.

use std::io::IsTerminal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    colour: bool,
}

impl Style {
    pub fn plain() -> Style {
        Style { colour: false }
    }

    pub fn coloured() -> Style {
        Style { colour: true }
    }

    /// Colour when stdout is a terminal and `NO_COLOR` is unset (<https://no-color.org>).
    pub fn for_stdout() -> Style {
        Style { colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    pub fn good(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn warn(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn bad(self, text: &str) -> String {
        self.paint("31", text)
    }

    /// A plan sign's colour: `+` green, `~` yellow, `-` red, `!` magenta.
    pub fn sign(self, sign: char, text: &str) -> String {
        match sign {
            '+' => self.good(text),
            '~' => self.warn(text),
            '-' => self.bad(text),
            _ => self.paint("35", text),
        }
    }

    /// A condition status: True green, False red, Unknown yellow; for
    /// conditions where True is bad (Degraded, DriftDetected) the reverse.
    pub fn condition(self, type_: &str, status: &str) -> String {
        let inverted = matches!(type_, "Degraded" | "DriftDetected" | "Progressing");
        match (status, inverted) {
            ("True", false) | ("False", true) => self.good(status),
            ("False", false) => self.bad(status),
            ("True", true) if type_ == "Progressing" => self.warn(status),
            ("True", true) => self.bad(status),
            _ => self.warn(status),
        }
    }
}
