/** The name and the meta table agree (services/metadata/names.ts: the healthcheck's NameMatchesMeta and the metadata store's refusal). */
import { metaValues, nameMetaProblems, parseDatabaseName } from '../../services/metadata/names';

const meta = (rows: Array<[string, string]>) => metaValues(rows.map(([meta_key, meta_value]) => ({ meta_key, meta_value })));

test('a single-species database: species.production_name is the part of the name before _<type>_', () => {
  expect(nameMetaProblems('mus_musculus_core_110_39', meta([['species.production_name', 'mus_musculus']]))).toEqual([]);
  expect(nameMetaProblems('mus_musculus_core_110_39', meta([['species.production_name', 'homo_sapiens']]))).toEqual([
    'the name says mus_musculus but meta species.production_name is homo_sapiens',
  ]);
  expect(nameMetaProblems('canis_lupus_familiaris_variation_110_31', meta([['species.production_name', 'canis_lupus']]))).toEqual([
    'the name says canis_lupus_familiaris but meta species.production_name is canis_lupus',
  ]);
  // Two species in a single-species database: one of them may be another team's.
  expect(
    nameMetaProblems(
      'mus_musculus_core_110_39',
      meta([
        ['species.production_name', 'mus_musculus'],
        ['species.production_name', 'homo_sapiens'],
      ]),
    ),
  ).toEqual([
    expect.stringMatching(/^the name says mus_musculus but meta has 2 values of species.production_name \(mus_musculus, homo_sapiens\)/),
  ]);
  // Missing keys are MetaKeys' to report.
  expect(nameMetaProblems('mus_musculus_core_110_39', meta([]))).toEqual([]);
});

test(
  'schema_type, when present: cdna, otherfeatures and rnaseq are core schemas; compara is compara; ' + 'the ancestral database is core',
  () => {
    const ok: Array<[string, string]> = [
      ['homo_sapiens_core_110_38', 'core'],
      ['homo_sapiens_otherfeatures_110_38', 'core'],
      ['homo_sapiens_rnaseq_110_38', 'core'],
      ['homo_sapiens_variation_110_38', 'variation'],
      ['homo_sapiens_funcgen_110_38', 'funcgen'],
      ['ensembl_compara_110', 'compara'],
      ['ensembl_ancestral_110', 'core'],
    ];
    for (const [name, type] of ok) expect(nameMetaProblems(name, meta([['schema_type', type]]))).toEqual([]);
    expect(nameMetaProblems('homo_sapiens_core_110_38', meta([['schema_type', 'variation']]))).toEqual([
      'the name says core but meta schema_type is variation',
    ]);
    expect(nameMetaProblems('homo_sapiens_cdna_110_38', meta([['schema_type', 'cdna']]))).toEqual([
      'the name says cdna (schema core) but meta schema_type is cdna',
    ]);
    expect(nameMetaProblems('ensembl_compara_110', meta([['schema_type', 'core']]))).toEqual([
      'the name says compara but meta schema_type is core',
    ]);
  },
);

test('collection and multi-species databases hold other species names: only schema_type is compared', () => {
  const species = meta([
    ['species.production_name', 'escherichia_coli'],
    ['species.production_name', 'homo_sapiens'],
    ['schema_type', 'core'],
  ]);
  expect(nameMetaProblems('bacteria_1_collection_core_59_112_1', species)).toEqual([]);
  expect(nameMetaProblems('ensembl_ancestral_110', meta([['species.production_name', 'ancestral_sequences']]))).toEqual([]);
  expect(nameMetaProblems('ensembl_compara_110', meta([['species.production_name', 'homo_sapiens']]))).toEqual([]);
  // Not an Ensembl name (admission refuses those): nothing to compare.
  expect(nameMetaProblems('my_scratch_db', meta([['species.production_name', 'homo_sapiens']]))).toEqual([]);
});

test('a hostile value is clipped and its control characters shown escaped', () => {
  const [problem] = nameMetaProblems('mus_musculus_core_110_39', meta([['species.production_name', `homo\x1b[2J${'x'.repeat(10_000)}`]]));
  expect(problem.length).toBeLessThan(200);
  expect(problem).toContain('homo\\x1b[2J');
});

test('a one-word species is read as admission reads it, so its meta is compared too', () => {
  expect(parseDatabaseName('ecoli_core_110_1')).toMatchObject({ species: 'ecoli', type: 'core' });
  const meta = metaValues([{ meta_key: 'species.production_name', meta_value: 'homo_sapiens' }]);
  expect(nameMetaProblems('ecoli_core_110_1', meta)).toEqual([
    expect.stringContaining('the name says ecoli but meta species.production_name is homo_sapiens'),
  ]);
});
