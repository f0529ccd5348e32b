//! Fixture upstreams for tests.
