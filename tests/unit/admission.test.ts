import { admit, databaseTypeOf, parseEnsemblName } from '../../common/admission';

test('Ensembl names give species, type, release and assembly', () => {
  expect(parseEnsemblName('homo_sapiens_core_110_38')).toEqual({ species: 'homo_sapiens', type: 'core', release: 110, assembly: '38' });
  expect(parseEnsemblName('canis_lupus_familiaris_otherfeatures_111_31')).toEqual({
    species: 'canis_lupus_familiaris',
    type: 'otherfeatures',
    release: 111,
    assembly: '31',
  });
  expect(parseEnsemblName('ensembl_compara_110')).toEqual({ species: 'multi', type: 'compara', release: 110 });
  expect(parseEnsemblName('ensembl_ancestral_110')).toEqual({ species: 'multi', type: 'ancestral', release: 110 });
  expect(parseEnsemblName('homo_sapiens_core')).toBeUndefined();
  expect(parseEnsemblName('homo_sapiens_stuff_110_38')).toBeUndefined();
});

test('admission: closed, unknown, not open, admitted with the staging rule; the type comes from the name', () => {
  const rules = {
    allowedTypes: ['core', 'compara'],
    staging: [{ pattern: '^ensembl_', staging_uri: 'mysql://u@compara-staging:3306/' }],
    defaultStaging: 'mysql://u@staging:3306/',
  };
  expect(admit('homo_sapiens_core_110_38', { ...rules, allowedTypes: [] })).toMatchObject({
    admitted: false,
    closed: true,
    reason: 'handover is closed',
  });
  expect(admit('x', rules)).toMatchObject({ admitted: false, closed: false, field: 'src_uri' });
  expect(admit('homo_sapiens_funcgen_110_38', rules)).toMatchObject({
    admitted: false,
    field: 'src_uri',
    reason: 'funcgen databases are not being handed over now (open: core, compara)',
  });
  expect(admit('homo_sapiens_core_110_38', rules)).toMatchObject({
    admitted: true,
    name: { type: 'core' },
    stagingUri: 'mysql://u@staging:3306/',
  });
  expect(admit('ensembl_compara_110', rules)).toMatchObject({
    admitted: true,
    name: { type: 'compara' },
    stagingUri: 'mysql://u@compara-staging:3306/',
  });
  expect(databaseTypeOf('homo_sapiens_rnaseq_110_38')).toBe('rnaseq');
  expect(databaseTypeOf('scratch_copy')).toBe('unknown');
});
