/**
 * Turns a title into a URL slug with `slugify`, a dependency of this folder (not of Warden): the
 * image installs it from this folder's package-lock.json.
 */
import slugify from 'slugify';

export default {
  id: 'slug',
  name: 'Slug of a title',
  timeoutSeconds: 10,
  run(input, ctx) {
    const title = typeof input?.title === 'string' ? input.title : '';
    ctx.log('making a slug of', JSON.stringify(title));
    return { slug: slugify(title, { lower: true, strict: true }) };
  },
};
