import { admit, parseEnsemblName } from '../../common/admission';

test('Ensembl names give species, type, release and assembly', () => {
  expect(parseEnsemblName('homo_sapiens_core_110_38')).toEqual({ species: 'homo_sapiens', type: 'core', release: 110, assembly: '38' });
  expect(parseEnsemblName('canis_lupus_familiaris_otherfeatures_111_31')).toEqual({ species: 'canis_lupus_familiaris', type: 'otherfeatures', release: 111, assembly: '31' });
  expect(parseEnsemblName('ensembl_compara_110')).toEqual({ species: 'multi', type: 'compara', release: 110 });
  expect(parseEnsemblName('ensembl_ancestral_110')).toEqual({ species: 'multi', type: 'ancestral', release: 110 });
  expect(parseEnsemblName('homo_sapiens_core')).toBeUndefined();
  expect(parseEnsemblName('homo_sapiens_stuff_110_38')).toBeUndefined();
});

test('admission: closed, unknown, not open, contradicted, admitted with the staging rule', () => {
  const rules = { allowedTypes: ['core', 'compara'], staging: [{ pattern: '^ensembl_', staging_uri: 'mysql://u@compara-staging:3306/' }], defaultStaging: 'mysql://u@staging:3306/' };
  expect(admit('homo_sapiens_core_110_38', 'core', { ...rules, allowedTypes: [] })).toMatchObject({ admitted: false, closed: true, reason: 'handover is closed' });
  expect(admit('x', 'core', rules)).toMatchObject({ admitted: false, closed: false, field: 'src_uri' });
  expect(admit('homo_sapiens_funcgen_110_38', 'funcgen', rules)).toMatchObject({ admitted: false, field: 'type' });
  expect(admit('homo_sapiens_core_110_38', 'compara', rules)).toMatchObject({ admitted: false, field: 'type', reason: 'is compara, but the database name says core' });
  expect(admit('homo_sapiens_core_110_38', 'core', rules)).toMatchObject({ admitted: true, stagingUri: 'mysql://u@staging:3306/' });
  expect(admit('ensembl_compara_110', 'compara', rules)).toMatchObject({ admitted: true, stagingUri: 'mysql://u@compara-staging:3306/' });
});
