// The Node built-in baseline is measured by the same runners, so it must behave like a transport too.
import { describeConformance } from '@ipc-compare/core/conformance';
import { nodeNetPipeTransport } from '../src/baselines/index.js';

describeConformance(nodeNetPipeTransport);
