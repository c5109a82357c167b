// Bluesky's own client's facets (@atproto/api RichText.detectFacetsWithoutResolution) for each
// text of a JSON array read on stdin: [[byteStart, byteEnd, uri or tag], ...] per text.
// tests/test_bluesky.py compares posts/richtext.py with it. NODE_PATH names the packages.
'use strict'
const { RichText } = require('@atproto/api')

const texts = JSON.parse(require('node:fs').readFileSync(0, 'utf8'))
const facets = texts.map((text) => {
  const rich = new RichText({ text })
  rich.detectFacetsWithoutResolution()
  return (rich.facets || []).map((facet) => {
    const feature = facet.features[0]
    return [facet.index.byteStart, facet.index.byteEnd, feature.uri || feature.tag || feature.did]
  })
})
process.stdout.write(JSON.stringify(facets))
