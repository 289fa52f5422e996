//! The small commands: `schema`, `man`, `completions`.

use clap::CommandFactory;

use crate::cli::{Cli, SchemaKind};
use crate::outcome::Outcome;
use crate::schema;

/// `taskrender schema task|profile|project`: the checked-in JSON Schema.
pub(crate) fn schema(kind: SchemaKind) -> Outcome {
    let text = match kind {
        SchemaKind::Task => schema::TASK_SCHEMA,
        SchemaKind::Profile => schema::PROFILE_SCHEMA,
        SchemaKind::Project => crate::project::PROJECT_SCHEMA,
    };
    Outcome {
        stdout: text.as_bytes().to_vec(),
        ..Outcome::default()
    }
}

/// `taskrender man`: the manual page.
pub(crate) fn man() -> Outcome {
    let mut stdout = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut stdout)
        .expect("writing to memory cannot fail");
    Outcome {
        stdout,
        ..Outcome::default()
    }
}

/// `taskrender completions SHELL`.
pub(crate) fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut stdout = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "taskrender", &mut stdout);
    Outcome {
        stdout,
        ..Outcome::default()
    }
}
