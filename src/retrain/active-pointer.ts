// The ACTIVE pointer has one reader and writer, in the models layer (the runtime and the backtest
// read it too); re-exported here for the registry code that always imported it from this folder.
export {
  activePointerPath,
  readActivePointer,
  versionProblem,
  writeActivePointer,
} from '../models/active-pointer.ts';
