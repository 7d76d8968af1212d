/**
 * The part of Vega the report's charts use: the parser, the view (with its SVG renderer), and the transforms of their
 * data flows (the generic, encoding and view ones), registered in Vega's transform registry as the `vega` package
 * registers them. The `vega` package also registers the geo, hierarchy, force, voronoi, word cloud, label,
 * regression and crossfilter transforms, about 120 KB of the report Lambda's bundle that no chart of the report
 * uses; a spec naming one of them would fail to parse here ("Unrecognized transform type").
 */
import { transforms } from 'vega-dataflow';
import * as encode from 'vega-encode';
import { parse } from 'vega-parser';
import * as tx from 'vega-transforms';
import { Warn } from 'vega-util';
import { View } from 'vega-view';
import * as vtx from 'vega-view-transforms';

Object.assign(transforms, tx, vtx, encode);

export type { Spec } from 'vega-typings';
export { parse, View, Warn };
