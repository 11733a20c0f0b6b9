// Property tests run with a fixed seed, so a CI run is reproducible: a failure is the code's, not the
// dice's. FUZZ_SEED picks another sequence (or FUZZ_SEED=random for a fresh one) when searching by hand.
import fc from 'fast-check';

const given = process.env.FUZZ_SEED;
if (given !== 'random') fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: given ? Number(given) : 20261206 });
