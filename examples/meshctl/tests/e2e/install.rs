//! `meshctl install`, re-install, prune, verify-install, uninstall against the real server.
