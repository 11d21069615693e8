/**
 * The graph's look: bridges and networks as boxes under their ports (networks in their colour), ports
 * shaped by kind and filled with their network's colour, drops as a red (dropping now) or orange
 * (dropped before) border, limits as a purple outline, links down faded.
 */
import type cytoscape from 'cytoscape';

export const GRAPH_STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: { label: 'data(label)', 'font-size': 10, 'text-wrap': 'wrap', 'min-zoomed-font-size': 7, color: '#222', 'z-index-compare': 'manual', 'z-index': 3 },
  },
  {
    // Boxes: sized by the layout, under everything, and transparent to clicks.
    selector: 'node.bridge, node.network',
    style: { width: 'data(width)', height: 'data(height)', shape: 'round-rectangle', 'text-valign': 'top', 'text-halign': 'center', events: 'no' },
  },
  {
    selector: 'node.bridge',
    style: { 'background-color': '#f2f2f2', 'border-color': '#666', 'border-width': 1, 'font-size': 16, 'font-weight': 'bold', 'z-index': 0 },
  },
  {
    selector: 'node.network',
    style: { 'background-color': 'data(color)', 'background-opacity': 0.08, 'border-color': 'data(color)', 'border-width': 2, 'font-size': 12, 'z-index': 1 },
  },
  {
    selector: 'node.port',
    style: {
      'background-color': 'data(color)', width: 18, height: 18, shape: 'round-rectangle',
      'text-valign': 'bottom', 'text-halign': 'center', 'text-margin-y': 3, 'border-width': 0,
    },
  },
  { selector: 'node.agent', style: { shape: 'ellipse' } },
  { selector: 'node.patch', style: { shape: 'diamond', 'background-color': '#555', width: 22, height: 22 } },
  { selector: 'node.tunnel', style: { shape: 'hexagon', 'background-color': '#333', width: 24, height: 22 } },
  { selector: 'node.internal, node.other', style: { shape: 'ellipse', 'background-color': '#bbb' } },
  { selector: 'node.remote', style: { shape: 'round-rectangle', 'background-color': '#444', color: '#222', width: 30, height: 20, 'text-valign': 'bottom' } },
  { selector: 'node.dropped', style: { 'border-width': 3, 'border-color': '#e69f00' } },
  { selector: 'node.dropping', style: { 'border-width': 5, 'border-color': '#d00000' } },
  { selector: 'node.throttled', style: { 'outline-width': 3, 'outline-color': '#7b2cbf', 'outline-offset': 2 } },
  { selector: 'node.enforced', style: { 'outline-style': 'dashed' } },
  { selector: 'node.down', style: { opacity: 0.45 } },
  { selector: 'node.port:selected', style: { 'overlay-color': '#000', 'overlay-opacity': 0.15, 'overlay-padding': 6 } },
  { selector: 'edge', style: { width: 2, 'line-color': '#777', 'curve-style': 'bezier', label: 'data(label)', 'font-size': 8, color: '#555', 'z-index-compare': 'manual', 'z-index': 2 } },
  { selector: 'edge.tunnel', style: { 'line-style': 'dashed', 'line-color': '#333' } },
  { selector: 'edge.patch', style: { width: 3 } },
];
