//! The impact graph of the CI page, laid out on the server for an inline SVG: one column per
//! depth (the CI itself on the left), nodes in the order the walk reached them, edges as
//! straight lines with an arrow from the dependent to what it depends on. Only numbers are
//! computed here; names and labels stay raw text for the template to escape.

use opsdesk_app::cmdb::ImpactView;
use opsdesk_domain::cmdb::RelType;
use std::collections::HashMap;

const COLUMN: i64 = 230;
const ROW: i64 = 56;
const MARGIN: i64 = 16;
pub const NODE_W: i64 = 180;
pub const NODE_H: i64 = 36;
/// Names longer than this are cut in the box (the full name is the node's tooltip).
const NAME_CHARS: usize = 24;
/// A graph larger than this is unreadable as a picture: the page lists the rest.
pub const MAX_NODES: usize = 150;

pub struct NodeBox {
    pub id: i64,
    /// As stored; the box shows `short`.
    pub name: String,
    pub short: String,
    pub class: String,
    pub status: String,
    pub depth: u32,
    pub x: i64,
    pub y: i64,
    /// Where the name is written.
    pub text_x: i64,
    pub text_y: i64,
    pub class_y: i64,
    pub start: bool,
}

pub struct EdgeLine {
    pub label: &'static str,
    pub x1: i64,
    pub y1: i64,
    pub x2: i64,
    pub y2: i64,
    pub label_x: i64,
    pub label_y: i64,
}

pub struct Graph {
    pub width: i64,
    pub height: i64,
    pub nodes: Vec<NodeBox>,
    pub edges: Vec<EdgeLine>,
    /// Nodes reached but left out of the picture.
    pub left_out: usize,
}

fn shorten(name: &str) -> String {
    if name.chars().count() <= NAME_CHARS {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(NAME_CHARS - 1).collect();
        s.push('…');
        s
    }
}

impl Graph {
    pub fn of(impact: &ImpactView, start: i64) -> Graph {
        let mut rows_in_column: HashMap<u32, i64> = HashMap::new();
        let mut nodes = Vec::new();
        let mut at: HashMap<i64, usize> = HashMap::new();
        for n in impact.nodes.iter().take(MAX_NODES) {
            let row = rows_in_column.entry(n.depth).or_insert(0);
            let x = MARGIN + i64::from(n.depth) * COLUMN;
            let y = MARGIN + *row * ROW;
            *row += 1;
            at.insert(n.id, nodes.len());
            nodes.push(NodeBox {
                id: n.id,
                name: n.name.clone(),
                short: shorten(&n.name),
                class: n.class.replace('_', " "),
                status: n.status.clone(),
                depth: n.depth,
                x,
                y,
                text_x: x + 8,
                text_y: y + 15,
                class_y: y + 29,
                start: n.id == start,
            });
        }
        let edges = impact
            .edges
            .iter()
            .filter_map(|e| {
                let (a, b) = (&nodes[*at.get(&e.source)?], &nodes[*at.get(&e.target)?]);
                // The line leaves the side of the box that faces the other end.
                let (x1, x2) = if a.x < b.x {
                    (a.x + NODE_W, b.x)
                } else if a.x > b.x {
                    (a.x, b.x + NODE_W)
                } else {
                    (a.x + NODE_W, b.x + NODE_W)
                };
                let (y1, y2) = (a.y + NODE_H / 2, b.y + NODE_H / 2);
                Some(EdgeLine {
                    label: RelType::parse(&e.rel).map(RelType::label).unwrap_or("relates to"),
                    x1,
                    y1,
                    x2,
                    y2,
                    label_x: (x1 + x2) / 2,
                    label_y: (y1 + y2) / 2 - 4,
                })
            })
            .collect();
        let columns = nodes.iter().map(|n| i64::from(n.depth)).max().unwrap_or(0) + 1;
        let rows = rows_in_column.values().copied().max().unwrap_or(1);
        Graph {
            width: 2 * MARGIN + (columns - 1) * COLUMN + NODE_W + 40,
            height: 2 * MARGIN + (rows - 1) * ROW + NODE_H,
            left_out: impact.nodes.len().saturating_sub(MAX_NODES),
            nodes,
            edges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opsdesk_app::cmdb::{ImpactEdgeView, ImpactNodeView};
    use opsdesk_domain::cmdb::Direction;

    fn node(id: i64, depth: u32) -> ImpactNodeView {
        ImpactNodeView {
            id,
            name: format!("ci {id} with a rather long name"),
            class: "business_service".into(),
            status: "live".into(),
            depth,
        }
    }

    fn edge(source: i64, target: i64) -> ImpactEdgeView {
        ImpactEdgeView { id: source * 100 + target, source, rel: "runs_on".into(), target }
    }

    #[test]
    fn columns_follow_depth_and_rows_fill_each_column() {
        let impact = ImpactView {
            direction: Direction::Downstream,
            depth: 5,
            at: None,
            nodes: vec![node(1, 0), node(2, 1), node(3, 1), node(4, 2)],
            edges: vec![edge(2, 1), edge(3, 1), edge(4, 2), edge(4, 3), edge(9, 1)],
            services: vec![],
            users: 0,
        };
        let g = Graph::of(&impact, 1);
        let xy: Vec<(i64, i64)> = g.nodes.iter().map(|n| (n.x, n.y)).collect();
        assert_eq!(xy, vec![(16, 16), (246, 16), (246, 72), (476, 16)]);
        assert!(g.nodes[0].start && !g.nodes[1].start);
        assert_eq!(g.nodes[0].class, "business service");
        assert!(g.nodes[0].short.ends_with('…') && g.nodes[0].short.chars().count() == 24);
        // The edge to a node left out of the walk is not drawn; the others join facing sides.
        assert_eq!(g.edges.len(), 4);
        let first = &g.edges[0];
        assert_eq!((first.x1, first.x2, first.label), (246, 16 + NODE_W, "runs on"));
        assert_eq!((g.width, g.height), (2 * 16 + 2 * 230 + NODE_W + 40, 2 * 16 + 56 + NODE_H));
        assert_eq!(g.left_out, 0);
    }

    #[test]
    fn a_huge_walk_is_cut_and_says_how_much() {
        let nodes = (0..MAX_NODES as i64 + 7).map(|i| node(i, u32::from(i > 0))).collect();
        let impact = ImpactView {
            direction: Direction::Upstream,
            depth: 1,
            at: None,
            nodes,
            edges: vec![],
            services: vec![],
            users: 0,
        };
        let g = Graph::of(&impact, 0);
        assert_eq!((g.nodes.len(), g.left_out), (MAX_NODES, 7));
    }
}
