//! mesh-core's integration tests (one test binary): the YAML reader and printer against the
//! reference corpus.

mod yaml_corpus;
