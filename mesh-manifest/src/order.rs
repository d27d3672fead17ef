//! Install ordering: a dependency graph over the rendered objects, split into stages that a
//! cluster can apply one after another, starting from an empty cluster.
//!
//! The order is not a kind-score table: every object comes after what it needs (its Namespace, the
//! CRD of its kind, the ServiceAccount/ConfigMaps/Secrets/RBAC its pods use, the Service a webhook
//! calls, ...; see [`EdgeReason`]). Where dependencies leave the choice open, objects go by stage,
//! then by a readable kind order ([`kind_rank`]), then by (group, kind, namespace, name),
//! so the same objects always give the same output.

mod graph;
mod id;
mod namespaces;
mod stage;

pub use graph::{Edge, EdgeReason, Graph};
pub use id::ObjectId;
pub use namespaces::SYSTEM_NAMESPACES;
pub use stage::{StageKind, kind_rank};

use crate::Object;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

/// What [`order`] adds or leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderOptions {
    /// Emit a Namespace object for every namespace the objects live in (except the namespaces
    /// every cluster has, [`SYSTEM_NAMESPACES`]). `false` is meshctl's `--no-namespace`.
    pub namespaces: bool,
    /// Extra labels for the emitted Namespace objects, by namespace name.
    pub namespace_labels: BTreeMap<String, BTreeMap<String, String>>,
}

impl Default for OrderOptions {
    fn default() -> Self {
        OrderOptions {
            namespaces: true,
            namespace_labels: BTreeMap::new(),
        }
    }
}

/// Objects that are applied together, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Which stage this is.
    pub kind: StageKind,
    /// The objects, in apply order.
    pub objects: Vec<Object>,
}

impl Stage {
    /// `NN-slug`, e.g. `00-namespaces-crds`.
    pub fn name(&self) -> String {
        self.kind.name()
    }

    /// The stage's file name in a staged output folder, e.g. `00-namespaces-crds.yaml`.
    pub fn file_name(&self) -> String {
        format!("{}.yaml", self.name())
    }
}

/// An ordered manifest: its non-empty stages in apply order, and the dependency graph the order
/// was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Non-empty stages, in apply order.
    pub stages: Vec<Stage>,
    /// The dependency graph; node `i` is the `i`-th object of [`Manifest::objects`].
    pub graph: Graph,
}

impl Manifest {
    /// Every object in apply order.
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.stages.iter().flat_map(|s| s.objects.iter())
    }

    /// Every object in apply order, by value.
    pub fn into_objects(self) -> Vec<Object> {
        self.stages.into_iter().flat_map(|s| s.objects).collect()
    }

    /// The number of objects.
    pub fn len(&self) -> usize {
        self.stages.iter().map(|s| s.objects.len()).sum()
    }

    /// Whether there are no objects at all.
    pub fn is_empty(&self) -> bool {
        self.stages.iter().all(|s| s.objects.is_empty())
    }
}

/// The objects cannot be put in an install order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// Objects depend on each other in a circle, so none of them can go first.
    #[error("dependency cycle: {}", format_cycle(.cycle))]
    Cycle {
        /// The objects of one cycle, each needed by the next and the last needed by the first.
        cycle: Vec<ObjectId>,
    },
    /// An object lacks a field every Kubernetes object needs.
    #[error("object #{index} ({id}): missing {field}")]
    MissingField {
        /// Position of the object in the input (0-based).
        index: usize,
        /// What is known of its id.
        id: ObjectId,
        /// The missing field (`apiVersion`, `kind` or `metadata.name`).
        field: &'static str,
    },
    /// An object would need a stage after the last one (a custom resource of a CRD that itself
    /// can only be applied late).
    #[error("{id}: needs stage {needed}, but there are only {} stages", StageKind::ALL.len())]
    NoStage {
        /// The object.
        id: ObjectId,
        /// The stage number it would need.
        needed: usize,
    },
}

fn format_cycle(cycle: &[ObjectId]) -> String {
    let mut names: Vec<String> = cycle.iter().map(ToString::to_string).collect();
    if let Some(first) = names.first().cloned() {
        names.push(first);
    }
    format!(
        "{} (each must be applied before the next)",
        names.join(" -> ")
    )
}

/// Orders `objects` for installation, adding the Namespace objects they need when
/// `opts.namespaces` is set.
pub fn order(objects: Vec<Object>, opts: &OrderOptions) -> Result<Manifest, OrderError> {
    check_fields(&objects)?;
    let mut objects = objects;
    if opts.namespaces {
        let extra = namespaces::missing_namespaces(&objects, &opts.namespace_labels);
        objects.extend(extra);
    }
    let graph = Graph::build(&objects);
    let topo = topological_order(&graph)?;
    let stages = assign_stages(&graph, &topo)?;
    let sequence = readable_order(&graph, &stages);
    Ok(assemble(objects, graph, &stages, &sequence))
}

fn check_fields(objects: &[Object]) -> Result<(), OrderError> {
    for (index, object) in objects.iter().enumerate() {
        let missing = if object.api_version().is_empty() {
            Some("apiVersion")
        } else if object.kind().is_empty() {
            Some("kind")
        } else if object.name().is_empty() {
            Some("metadata.name")
        } else {
            None
        };
        if let Some(field) = missing {
            return Err(OrderError::MissingField {
                index,
                id: ObjectId::of(object),
                field,
            });
        }
    }
    Ok(())
}

/// Dependencies of each node, as (dependency, needs a stage boundary).
fn dependency_lists(graph: &Graph) -> Vec<Vec<(usize, bool)>> {
    let mut deps = vec![Vec::new(); graph.nodes.len()];
    for e in &graph.edges {
        deps[e.to].push((e.from, e.reason.needs_stage_boundary()));
    }
    deps
}

fn dependents_lists(graph: &Graph) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); graph.nodes.len()];
    for e in &graph.edges {
        out[e.from].push(e.to);
    }
    out
}

fn in_degrees(graph: &Graph) -> Vec<usize> {
    let mut degree = vec![0; graph.nodes.len()];
    for e in &graph.edges {
        degree[e.to] += 1;
    }
    degree
}

/// Any topological order (Kahn), or the first cycle found.
fn topological_order(graph: &Graph) -> Result<Vec<usize>, OrderError> {
    let dependents = dependents_lists(graph);
    let mut degree = in_degrees(graph);
    let mut ready: VecDeque<usize> = (0..degree.len()).filter(|&i| degree[i] == 0).collect();
    let mut out = Vec::with_capacity(degree.len());
    while let Some(node) = ready.pop_front() {
        out.push(node);
        for &next in &dependents[node] {
            degree[next] -= 1;
            if degree[next] == 0 {
                ready.push_back(next);
            }
        }
    }
    if out.len() == degree.len() {
        return Ok(out);
    }
    Err(OrderError::Cycle {
        cycle: find_cycle(graph, &degree),
    })
}

/// A cycle among the nodes Kahn's algorithm could not place (those with a non-zero remaining
/// degree): walking from one of them to a blocked dependency must come back around.
fn find_cycle(graph: &Graph, degree: &[usize]) -> Vec<ObjectId> {
    let deps = dependency_lists(graph);
    let blocked = |n: usize| degree[n] > 0;
    let Some(start) = (0..degree.len()).find(|&n| blocked(n)) else {
        return Vec::new();
    };
    let mut path = vec![start];
    let mut seen = vec![usize::MAX; degree.len()];
    seen[start] = 0;
    let mut node = start;
    loop {
        let Some(&(next, _)) = deps[node].iter().find(|(d, _)| blocked(*d)) else {
            return Vec::new();
        };
        if seen[next] != usize::MAX {
            // `path` walks from dependents to dependencies; report in apply order.
            let mut cycle: Vec<ObjectId> = path[seen[next]..]
                .iter()
                .map(|&n| graph.nodes[n].clone())
                .collect();
            cycle.reverse();
            return cycle;
        }
        seen[next] = path.len();
        path.push(next);
        node = next;
    }
}

/// Each node's stage number: at least its kind's stage, and not before any dependency (one
/// later when the dependency needs a boundary, as a CRD does for its custom resources).
fn assign_stages(graph: &Graph, topo: &[usize]) -> Result<Vec<usize>, OrderError> {
    let deps = dependency_lists(graph);
    let mut stage = vec![0; graph.nodes.len()];
    for &node in topo {
        let own = StageKind::of_kind(&graph.nodes[node]).number();
        let needed = deps[node]
            .iter()
            .map(|&(d, boundary)| stage[d] + usize::from(boundary))
            .fold(own, usize::max);
        if StageKind::from_number(needed).is_none() {
            return Err(OrderError::NoStage {
                id: graph.nodes[node].clone(),
                needed,
            });
        }
        stage[node] = needed;
    }
    Ok(stage)
}

/// The final order: a topological order that, among the objects ready at each step, takes the
/// one with the smallest (stage, kind rank, group, kind, namespace, name, input position).
fn readable_order(graph: &Graph, stages: &[usize]) -> Vec<usize> {
    let dependents = dependents_lists(graph);
    let mut degree = in_degrees(graph);
    let key = |n: usize| {
        let id = &graph.nodes[n];
        Reverse((stages[n], stage::kind_rank(id), id, n))
    };
    let mut ready: BinaryHeap<_> = (0..degree.len())
        .filter(|&n| degree[n] == 0)
        .map(key)
        .collect();
    let mut out = Vec::with_capacity(degree.len());
    while let Some(Reverse((_, _, _, node))) = ready.pop() {
        out.push(node);
        for &next in &dependents[node] {
            degree[next] -= 1;
            if degree[next] == 0 {
                ready.push(key(next));
            }
        }
    }
    out
}

fn assemble(objects: Vec<Object>, graph: Graph, stages: &[usize], sequence: &[usize]) -> Manifest {
    let mut position = vec![0; sequence.len()];
    for (pos, &node) in sequence.iter().enumerate() {
        position[node] = pos;
    }
    let mut slots: Vec<Option<Object>> = objects.into_iter().map(Some).collect();
    let mut out: Vec<Stage> = Vec::new();
    for &node in sequence {
        let Some(object) = slots[node].take() else {
            continue;
        };
        let kind = StageKind::from_number(stages[node]).unwrap_or(StageKind::Webhooks);
        match out.last_mut() {
            Some(stage) if stage.kind == kind => stage.objects.push(object),
            _ => out.push(Stage {
                kind,
                objects: vec![object],
            }),
        }
    }
    let nodes = sequence.iter().map(|&n| graph.nodes[n].clone()).collect();
    let mut edges: Vec<Edge> = graph
        .edges
        .iter()
        .map(|e| Edge {
            from: position[e.from],
            to: position[e.to],
            reason: e.reason,
        })
        .collect();
    edges.sort();
    Manifest {
        stages: out,
        graph: Graph { nodes, edges },
    }
}
