//! What a build needs on the machine, checked before anything is fetched.

use std::fmt;

use build_core::toolchain::{Tool, ToolchainError};
use build_core::{Component, Linkage, Target};

/// One tool, and what was found for it.
#[derive(Debug, Clone)]
pub struct ToolCheck {
    /// What a person calls it (`libseccomp (static)`).
    pub name: &'static str,
    /// A version or path when found; what is missing and the fix when not.
    pub found: Result<String, ToolchainError>,
}

impl fmt::Display for ToolCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.found {
            Ok(found) => write!(f, "{}: {found}", self.name),
            Err(e) => write!(f, "{}: {}; fix: {}", self.name, e.problem, e.fix),
        }
    }
}

/// Every tool `components` need for `linkage` and `target`, each once, in a stable order:
/// for another architecture, its cross compiler, libc and the emulator that checks the result;
/// for Windows, Wine.
pub fn check_tools(linkage: Linkage, target: &Target, components: &[&Component]) -> Vec<ToolCheck> {
    let mut tools: Vec<Tool> = Vec::new();
    // What runs the results here to check them: qemu, Wine.
    let emulator = [Tool::Emulator, Tool::Wine];
    for tool in components
        .iter()
        .flat_map(|c| c.tools.iter())
        .chain(&emulator)
        .copied()
    {
        if tool.needed_for_target(linkage, target) && !tools.contains(&tool) {
            tools.push(tool);
        }
    }
    tools.sort();
    // Each check runs a program; ask them all at once.
    std::thread::scope(|scope| {
        let asked: Vec<_> = tools
            .iter()
            .map(|&tool| scope.spawn(move || tool.find_for(linkage, target)))
            .collect();
        tools
            .iter()
            .zip(asked)
            .map(|(&tool, asked)| ToolCheck {
                name: tool.name(linkage),
                // A check that panicked is a failed check, saying what it said.
                found: asked.join().unwrap_or_else(|panic| {
                    Err(ToolchainError {
                        problem: format!(
                            "checking for it panicked: {}",
                            build_core::error::panic_message(panic)
                        ),
                        fix: "please report this".into(),
                    })
                }),
            })
            .collect()
    })
}

/// The checks that failed.
pub fn missing_tools(
    linkage: Linkage,
    target: &Target,
    components: &[&Component],
) -> Vec<ToolCheck> {
    check_tools(linkage, target, components)
        .into_iter()
        .filter(|c| c.found.is_err())
        .collect()
}
