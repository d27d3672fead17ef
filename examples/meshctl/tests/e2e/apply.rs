//! `meshctl manifest generate | kubectl apply -f -` on an empty server, for every profile.
