// Package media makes pictures ready to send and checks pictures received:
// the pure part of Starling's pictures, with no I/O, no network and no
// cgo (it also builds for js/wasm).
//
// Sending: Prepare takes a JPEG, PNG or WebP file and returns an Image:
// decoded only after its declared size and the decoder's memory have been
// checked against Config, turned upright by a JPEG's EXIF orientation,
// downscaled with Catmull-Rom along a ladder of sides until it fits the
// byte budget (about 100 KiB by default; a photographed map keeps 1600
// pixels and stays readable), re-encoded as JPEG or, for screenshots and
// other flat images, PNG, with no metadata at all (EXIF and GPS, XMP, ICC,
// comments, text chunks), content-addressed by the SHA-256 of its bytes,
// and with a preview of at most 2 KiB. Image.Chunks splits it into chunks
// of ChunkSize bytes, each of which fits a sealed, signed envelope with
// 3.7 KiB to spare.
//
// On the wire (media.proto): a picture is one manifest message (Manifest:
// format, size, digest, dimensions, preview, caption, and the IDs of its
// chunk messages) and its chunk messages. EncodeManifest, DecodeManifest,
// EncodeChunk and DecodeChunk are canonical codecs with the stateless
// field rules.
//
// Receiving: CheckChunk checks a chunk against its manifest; Assemble
// joins the chunks and checks length, digest, and, with Check, that the
// bytes are in the form Prepare writes (no metadata segment or chunk, no
// trailing bytes), so a node never shows or serves metadata even from a
// modified client.
//
// Rules that need state (who may post, whether a chunk's manifest is
// known, budgets) belong to the group layer and the node; design.md in
// this directory is the design for integrating pictures into the wire
// format, the node, catch-up and the user interfaces, with the numbers
// behind fetching chunks on demand instead of pushing them.
package media
