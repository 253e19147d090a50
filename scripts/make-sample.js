#!/usr/bin/env node
'use strict';
// Makes samples/patient-photo.jpg: a synthetic "clinical photo" (no real person) carrying the
// metadata a camera and an editor leave behind (EXIF with GPS, owner and serial, XMP history), so
// `npm start` can show the whole job without any real patient data. Run once; the output is
// committed.
const path = require('node:path');
const sharp = require('sharp');

const W = 640;
const H = 480;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
  <defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="#8fb3c9"/><stop offset="1" stop-color="#3d5a6c"/></linearGradient></defs>
  <rect width="${W}" height="${H}" fill="url(#bg)"/>
  <ellipse cx="250" cy="200" rx="90" ry="115" fill="#e0b49a"/>
  <ellipse cx="220" cy="180" rx="14" ry="9" fill="#2b2b2b"/><ellipse cx="282" cy="180" rx="14" ry="9" fill="#2b2b2b"/>
  <path d="M215 255 Q250 280 285 255" stroke="#7a3b32" stroke-width="6" fill="none"/>
  <rect x="400" y="330" width="200" height="70" rx="6" fill="#ffffff" stroke="#1d4f91" stroke-width="4"/>
  <rect x="412" y="344" width="176" height="10" fill="#1d4f91"/><rect x="412" y="364" width="120" height="8" fill="#333"/>
  <rect x="412" y="380" width="150" height="8" fill="#333"/>
</svg>`;

const xmp = `<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
 xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">
<dc:creator><rdf:Seq><rdf:li>Dr Example Photographer</rdf:li></rdf:Seq></dc:creator>
<photoshop:History>2026-01-02 opened PATIENT_DOE_JANE_MRN0012345.jpg</photoshop:History>
<xmpMM:DocumentID>xmp.did:0a1b2c3d-synthetic</xmpMM:DocumentID>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

sharp(Buffer.from(svg))
  .jpeg({ quality: 90 })
  .withExif({
    IFD0: { Make: 'ExampleCam', Model: 'Clinic 3000', Artist: 'Jane Doe', Copyright: 'Example Hospital', DateTime: '2026:01:02 10:11:12' },
    IFD2: { DateTimeOriginal: '2026:01:02 10:11:12', BodySerialNumber: 'SN-0042-SYNTHETIC' },
    IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
  })
  .withXmp(xmp)
  .toFile(path.join(__dirname, '..', 'samples', 'patient-photo.jpg'))
  .then((info) => console.log('wrote samples/patient-photo.jpg', info.size, 'bytes'));
