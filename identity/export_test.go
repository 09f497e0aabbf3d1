package identity

// CheapKDF are argon2id costs small enough for tests to seal and open keys in
// well under a millisecond. Only tests can use them.
var CheapKDF = kdfParams{time: 1, memoryKiB: 64, threads: 1}

// SaveSealedWithKDF is SaveSealed with the given argon2id costs.
func (u *User) SaveSealedWithKDF(path string, passphrase []byte, p kdfParams) error {
	return u.saveSealed(path, passphrase, p)
}
