//! Errors carrying the 1-based line and column they refer to.

use std::fmt;

use crate::ast::Pos;

/// Both error kinds have the same shape; a macro keeps them from drifting apart.
macro_rules! positioned_error {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            /// 1-based line.
            pub line: usize,
            /// 1-based column, counted in characters.
            pub column: usize,
            /// What went wrong.
            pub message: String,
        }

        impl $name {
            pub(crate) fn at(pos: Pos, message: impl Into<String>) -> Self {
                Self {
                    line: pos.line,
                    column: pos.column,
                    message: message.into(),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
            }
        }

        impl std::error::Error for $name {}
    };
}

positioned_error!(
    /// The template source is not valid VTL.
    ParseError
);

positioned_error!(
    /// Rendering failed; the position points at the failing expression or directive.
    RenderError
);
