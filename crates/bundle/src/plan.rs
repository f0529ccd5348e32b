//! The work a bundle is made of, as jobs another machine can run: one per component and
//! target, each with the key its build will have, so a team's CI can build each on a runner
//! of its own and an assembler can take them all from the team's cache.

use std::sync::Arc;

use build_core::progress::Progress;
use build_core::{Component, Target};

use crate::BundleError;
use crate::run::BundleRequest;

/// One component for one target: what a CI job builds and pushes.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PlannedJob {
    /// The component.
    pub component: &'static Component,
    /// The platform.
    pub target: Target,
    /// Its key: the job pushes `COMPONENT-KEY`, the tag the assembler pulls.
    pub key: String,
    /// The commit it is built from (a fork's branch resolved).
    pub commit: String,
    /// The first of the team's registries (`BundleRequest::shared`'s pulls) that already has
    /// it: no job needs to build it.
    pub held_by: Option<String>,
}

/// The jobs of `request`'s components for `request.target`, each with the key a build of it
/// computes (from the same toolchains, sources and C libraries), and which the team's cache
/// already has. Checks what a build checks first (versions, tools, Go); builds nothing and
/// publishes nothing. A registry that cannot be asked is reported and its jobs planned.
pub fn plan(
    request: &BundleRequest<'_>,
    progress: Arc<dyn Progress>,
) -> Result<Vec<PlannedJob>, BundleError> {
    crate::run::check_target(request)?;
    crate::environment::check_versions(request)?;
    let checked = crate::environment::check_toolchain(request, progress.as_ref())?;
    let (env, sources) = crate::environment::prepare(request, checked, progress.clone())?;
    let mut jobs = Vec::new();
    for component in &request.components {
        let pin =
            crate::environment::pin_of(request, component, "a component to plan comes from it")?;
        let source = &sources[&component.upstream];
        let key = crate::artifacts::key(&env, component, source, pin)?;
        let held_by = match &env.shared {
            Some(shared) => match shared.holder(component, &key) {
                Ok(holder) => holder,
                Err(why) => {
                    progress.status(
                        "Warning",
                        &format!(
                            "the team's cache could not say whether it has {} ({why}); planned",
                            component.name()
                        ),
                    );
                    None
                }
            },
            None => None,
        };
        jobs.push(PlannedJob {
            component,
            target: request.target.clone(),
            key,
            commit: source.commit.to_string(),
            held_by,
        });
    }
    Ok(jobs)
}
