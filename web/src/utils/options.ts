/** Values the forms offer; labels come from i18n (`industry.*`, `corpSize.*`, `gender.*`). */
export const INDUSTRIES = [
  'internet',
  'manufacturing',
  'retail',
  'finance',
  'education',
  'healthcare',
  'government',
  'construction',
  'logistics',
  'services',
  'other',
] as const;

export const CORP_SIZES = ['1-20', '21-100', '101-500', '501-2000', '2001-10000', '10000+'] as const;

export const GENDERS = ['1', '2', '0'] as const;
