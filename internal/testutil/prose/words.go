package prose

import "strings"

// Word lists of the generated prose. Order matters: earlier words are
// drawn more often (Zipf), as in real prose.

var FrenchNouns = strings.Fields(`
association assemblée réunion bureau président trésorière secrétaire membre
adhérent bénévole conseil budget compte subvention mairie projet année
activité rapport dossier document proposition décision vote article statut
règlement cotisation salle fête quartier commune département région
partenaire convention contrat facture devis dépense recette bilan résultat
exercice trésorerie banque chèque virement caisse inventaire matériel local
clé calendrier planning programme atelier stage formation séance cours
enfant jeune parent famille habitant voisin public participant inscription
tarif prix montant somme euro total solde report reliquat prévision objectif
action événement manifestation concert spectacle exposition festival tournoi
match équipe entraîneur licence fédération club terrain gymnase piscine
vestiaire maillot ballon sortie voyage séjour transport car minibus repas
buffet boisson goûter buvette stand tombola loto vide-grenier brocante marché
affiche tract flyer journal lettre courrier courriel message site page réseau
photo vidéo communication presse article annonce information nouvelle
assurance responsabilité sécurité secours accident incident sinistre
déclaration préfecture greffe récépissé agrément siret siège adresse
convocation ordre jour quorum procuration pouvoir mandat élection candidat
scrutin majorité unanimité abstention délibération résolution motion
compte-rendu procès-verbal annexe signature tampon original copie archive
jardin potager compost arbre fleur nature environnement déchet recyclage
vélo randonnée marche course sentier chemin parcours balade montagne rivière
musique chorale orchestre théâtre danse chant instrument répétition scène
lecture bibliothèque livre conte écriture poésie atelier-lecture médiathèque
solidarité aide don collecte épicerie vêtement colis distribution accueil
permanence bénévolat mission engagement service entraide soutien accompagnement
travaux chantier peinture toiture chauffage électricité plomberie entretien
nettoyage ménage rangement stockage armoire étagère table chaise tente barnum
ordinateur imprimante logiciel fichier tableur mot-de-passe sauvegarde clé-usb
question réponse remarque suggestion critique félicitation remerciement excuse
difficulté problème solution amélioration changement modification évolution
histoire origine création fondation anniversaire avenir perspective ambition
`)

var frVerbs = strings.Fields(`
est sont a ont était sera doit peut faut propose présente rappelle indique
souligne précise explique annonce remercie félicite demande souhaite accepte
refuse approuve valide adopte décide vote élit désigne nomme confie charge
organise prépare prévoit planifie reporte annule confirme maintient modifie
augmente diminue dépasse atteint couvre finance rembourse verse perçoit
encaisse dépense achète loue réserve commande reçoit envoie transmet publie
diffuse affiche informe invite accueille inscrit participe contribue aide
soutient accompagne anime encadre forme recrute remplace quitte rejoint
termine commence poursuit continue reprend lance ouvre ferme range nettoie
répare installe vérifie contrôle signale constate note observe remarque
`)

var FrenchAdjectives = strings.Fields(`
générale extraordinaire ordinaire annuel annuelle mensuel prochaine dernière
précédent nouveau nouvelle ancien ancienne important importante grand grande
petit petite bon bonne excellent positif négatif financier financière
associatif associative municipal municipale local locale départemental
régional national public publique privé gratuit payant bénévole ouvert
fermé complet disponible nécessaire possible indispensable urgent prioritaire
exceptionnel habituel régulier ponctuel collectif individuel commun partagé
sportif culturel social solidaire éducatif familial convivial festif
provisoire définitif officiel interne externe détaillé simplifié approuvé
`)

var frFunc = strings.Fields(`
de la le les des du et à en un une pour dans par sur au aux avec qui que
ne pas plus ce cette ces son sa ses leur leurs nous vous il elle ils on
est mais ou donc car ainsi aussi très bien tout tous toute toutes entre
sans sous vers chez depuis pendant après avant lors selon afin
`)

var frConnect = []string{
	"Par ailleurs,", "En outre,", "Ensuite,", "Enfin,", "Cependant,", "De plus,",
	"Pour conclure,", "Comme prévu,", "Suite à la réunion,", "Après discussion,",
	"Le bureau rappelle que", "Il est proposé que", "Les membres notent que",
	"Conformément aux statuts,", "Au cours de l'année,", "D'autre part,",
}

var EnglishNouns = strings.Fields(`
association meeting board member volunteer budget account grant council
project year activity report document proposal decision vote article bylaw
membership fee hall party neighbourhood town partner agreement invoice quote
expense income balance result treasury bank transfer cash inventory equipment
schedule programme workshop training session course child family resident
participant registration price amount total forecast goal event concert show
exhibition festival tournament team coach club field trip transport meal
drink stand raffle market poster newsletter letter email website page photo
video communication press announcement insurance safety incident minutes
agenda quorum proxy election candidate majority resolution motion signature
copy archive garden nature waste bike hike music choir theatre dance book
library solidarity donation collection food clothes support service work
maintenance cleaning storage table chair tent computer printer software file
password backup question answer suggestion problem solution change history
`)

var enVerbs = strings.Fields(`
is are has have was will must can proposes presents recalls notes explains
announces thanks asks wishes accepts refuses approves adopts decides votes
elects appoints organises prepares plans postpones cancels confirms changes
increases decreases reaches covers funds refunds pays receives spends buys
rents books orders sends publishes informs invites welcomes registers joins
helps supports trains recruits replaces leaves starts continues opens closes
`)

var enAdjs = strings.Fields(`
general annual monthly next last previous new former important large small
good excellent positive negative financial local regional national public
private free open closed available necessary urgent exceptional regular
collective shared social cultural sporting friendly official internal final
`)

var enFunc = strings.Fields(`
the of and to a in for on with by at from as that this these it its their
we our they not but or so also very all between without under after before
`)

// syllables build rare words (names of places, people, products): the long
// tail that real texts have and word lists lack.
var syllables = strings.Fields(`
ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga go la le li lo
lu ma me mi mo mu na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti
to va ve vi vo za zo an en in on ar er ir or al el il ol
`)
